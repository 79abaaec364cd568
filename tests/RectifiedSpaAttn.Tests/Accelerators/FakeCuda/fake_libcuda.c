// A fake CUDA driver (libcuda.so.1) for exercising the CUDA accelerator's host code on a machine without a GPU:
// device memory is host memory, PTX is "loaded" by looking for the entry point's name, the JIT error log path is
// triggered by the token in TestKernels.Broken, and the test kernels of TestKernels.cs are emulated by entry-point
// name, reading kernelParams with exactly the widths their PTX declares (as the real driver does). It checks what
// the real driver would reject: a non-current context, too much dynamic shared memory without the opt-in, oversized
// groups. Not used by CI; run by hand:
//   gcc -shared -fPIC -O1 -o /tmp/fakecuda/libcuda.so.1 fake_libcuda.c
//   LD_LIBRARY_PATH=/tmp/fakecuda RSA_REQUIRE_CUDA=1 dotnet test tests/RectifiedSpaAttn.Tests -c Release --filter "FullyQualifiedName~Accelerators"
// It proves marshalling and control flow only; the real driver (JIT, launches) still needs a GPU run.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
typedef int CUresult;
static void *CTX = (void *)0x1234;
static void *current = 0;
static int retained = 0;
static long live_allocs = 0;
#define CHECKCTX if (current != CTX) return 201;
typedef struct { char name[64]; int dyn_limit; } Func;
typedef struct { char *text; Func funcs[8]; int nfuncs; } Module;

CUresult cuInit(unsigned f) { return f == 0 ? 0 : 1; }
CUresult cuDriverGetVersion(int *v) { *v = 12040; return 0; }
CUresult cuDeviceGetCount(int *c) { *c = 1; return 0; }
CUresult cuDeviceGet(int *d, int o) { if (o != 0) return 101; *d = 0; return 0; }
CUresult cuDeviceGetName(char *n, int len, int d) { snprintf(n, len, "Fake H100"); return 0; }
CUresult cuDeviceTotalMem_v2(size_t *b, int d) { *b = 80ull << 30; return 0; }
CUresult cuDeviceGetAttribute(int *v, int a, int d) {
  switch (a) {
    case 1: *v = 1024; return 0; case 2: *v = 1024; return 0; case 3: *v = 1024; return 0; case 4: *v = 64; return 0;
    case 5: *v = 2147483647; return 0; case 6: *v = 65535; return 0; case 7: *v = 65535; return 0;
    case 8: *v = 49152; return 0; case 10: *v = 32; return 0; case 16: *v = 132; return 0;
    case 75: *v = 9; return 0; case 76: *v = 0; return 0; case 97: *v = 232448; return 0;
  }
  return 1;
}
CUresult cuDevicePrimaryCtxRetain(void **c, int d) { *c = CTX; retained++; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int d) { retained--; if (retained == 0 && getenv("FAKE_CUDA_REPORT")) fprintf(stderr, "[fake cuda] context released, live allocations: %ld\n", live_allocs); return 0; }
CUresult cuCtxSetCurrent(void *c) { current = c; return 0; }
CUresult cuCtxSynchronize(void) { CHECKCTX return 0; }
CUresult cuMemAlloc_v2(uint64_t *p, size_t n) { CHECKCTX if (n == 0) return 1; if (n > (80ull << 30)) return 2; void *m = aligned_alloc(256, (n + 255) / 256 * 256); if (!m) return 2; *p = (uint64_t)m; live_allocs++; return 0; }
CUresult cuMemFree_v2(uint64_t p) { CHECKCTX free((void *)p); live_allocs--; return 0; }
CUresult cuMemcpyHtoD_v2(uint64_t d, const void *s, size_t n) { CHECKCTX memcpy((void *)d, s, n); return 0; }
CUresult cuMemcpyDtoH_v2(void *d, uint64_t s, size_t n) { CHECKCTX memcpy(d, (void *)s, n); return 0; }
// Launches complete at once here, so the stream-ordered copies are plain copies and every stream or event is complete.
CUresult cuMemcpyHtoDAsync_v2(uint64_t d, const void *s, size_t n, void *st) { CHECKCTX memcpy((void *)d, s, n); return 0; }
CUresult cuMemcpyDtoHAsync_v2(void *d, uint64_t s, size_t n, void *st) { CHECKCTX memcpy(d, (void *)s, n); return 0; }
CUresult cuMemAllocHost_v2(void **p, size_t n) { CHECKCTX *p = malloc(n); return *p ? 0 : 2; }
CUresult cuMemFreeHost(void *p) { CHECKCTX free(p); return 0; }
CUresult cuMemsetD8_v2(uint64_t d, unsigned char v, size_t n) { CHECKCTX memset((void *)d, v, n); return 0; }
CUresult cuMemsetD16_v2(uint64_t d, unsigned short v, size_t n) { CHECKCTX if (d % 2) return 1; for (size_t i = 0; i < n; i++) ((uint16_t *)d)[i] = v; return 0; }
CUresult cuMemsetD32_v2(uint64_t d, unsigned v, size_t n) { CHECKCTX if (d % 4) return 1; for (size_t i = 0; i < n; i++) ((uint32_t *)d)[i] = v; return 0; }

CUresult cuModuleLoadDataEx(void **m, const void *image, unsigned n, int *opts, void **vals) {
  CHECKCTX
  const char *text = image;
  char *err = 0; unsigned errsize = 0; int errsize_index = -1;
  for (unsigned i = 0; i < n; i++) {
    if (opts[i] == 5) err = vals[i];
    if (opts[i] == 6) { errsize = (unsigned)(uintptr_t)vals[i]; errsize_index = i; }
  }
  if (strncmp(text, ".version", 8) != 0) return 218;
  if (strstr(text, "this_is_not_an_instruction")) {
    if (err && errsize) { snprintf(err, errsize, "ptxas application ptx input, line 7; error   : Not a name of any known instruction: 'this_is_not_an_instruction'\nptxas fatal   : Ptx assembly aborted due to errors"); vals[errsize_index] = (void *)(uintptr_t)strlen(err); }
    return 218;
  }
  Module *mod = calloc(1, sizeof(Module));
  mod->text = strdup(text);
  *m = mod;
  return 0;
}
CUresult cuModuleUnload(void *m) { CHECKCTX Module *mod = m; free(mod->text); free(mod); return 0; }
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  CHECKCTX
  Module *mod = m;
  char pattern[100]; snprintf(pattern, sizeof pattern, ".entry %s(", name);
  if (!strstr(mod->text, pattern)) return 500;
  Func *fn = &mod->funcs[mod->nfuncs++];
  snprintf(fn->name, sizeof fn->name, "%s", name); fn->dyn_limit = 49152;
  *f = fn;
  return 0;
}
CUresult cuFuncGetAttribute(int *v, int a, void *f) { CHECKCTX if (a == 0) { *v = 1024; return 0; } if (a == 1) { *v = 0; return 0; } return 1; }
CUresult cuFuncSetAttribute(void *f, int a, int v) { CHECKCTX if (a != 8 || v > 232448) return 1; ((Func *)f)->dyn_limit = v; return 0; }
CUresult cuStreamCreate(void **s, unsigned flags) { CHECKCTX if (flags != 0) return 1; *s = malloc(16); return 0; }
CUresult cuStreamSynchronize(void *s) { CHECKCTX return 0; }
CUresult cuStreamDestroy_v2(void *s) { CHECKCTX if (!s) return 400; free(s); return 0; }
CUresult cuStreamQuery(void *s) { CHECKCTX return 0; }
CUresult cuEventCreate(void **e, unsigned flags) { CHECKCTX *e = malloc(8); return 0; }
CUresult cuEventRecord(void *e, void *s) { CHECKCTX return e ? 0 : 400; }
CUresult cuEventQuery(void *e) { CHECKCTX return e ? 0 : 400; }
CUresult cuEventDestroy_v2(void *e) { CHECKCTX if (!e) return 400; free(e); return 0; }

#define U64(i) (*(uint64_t *)p[i])
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned smem, void *stream, void **p, void **extra) {
  CHECKCTX
  Func *fn = f;
  if (extra) return 1;
  if (smem > (unsigned)fn->dyn_limit) return 1;  // as the driver: more than the opted-in amount is invalid
  if ((unsigned long)bx * by * bz > 1024) return 1;
  if (!strcmp(fn->name, "saxpy")) {
    float *x = (float *)U64(0), *y = (float *)U64(2); uint64_t ylen = U64(3); float a = *(float *)p[4];
    for (unsigned b = 0; b < gx; b++) for (unsigned t = 0; t < bx; t++) { uint64_t i = (uint64_t)b * bx + t; if (i < ylen) y[i] = a * x[i] + y[i]; }
  } else if (!strcmp(fn->name, "reverse_in_group")) {
    int32_t *src = (int32_t *)U64(0), *dst = (int32_t *)U64(2);
    if (smem < bx * 4) return 719;  // would be an illegal address on a GPU
    int32_t *shared = malloc(smem);
    for (unsigned b = 0; b < gx; b++) {
      for (unsigned t = 0; t < bx; t++) shared[t] = src[b * bx + t];
      for (unsigned t = 0; t < bx; t++) dst[b * bx + t] = shared[bx - 1 - t];
    }
    free(shared);
  } else if (!strcmp(fn->name, "scalars")) {
    uint64_t *o = (uint64_t *)U64(0);
    o[0] = (uint64_t)(int64_t)*(int32_t *)p[2];
    o[1] = *(uint32_t *)p[3];
    o[2] = *(uint64_t *)p[4];
    o[3] = *(uint64_t *)p[5];
    o[4] = *(uint32_t *)p[6];
    o[5] = *(uint64_t *)p[7];
    o[6] = *(uint32_t *)p[8];
    o[7] = *(uint8_t *)p[9];
    o[8] = *(uint16_t *)p[10];
  } else if (!strcmp(fn->name, "grid_index")) {
    int32_t *o = (int32_t *)U64(0);
    unsigned nx = gx * bx, ny = gy * by;
    for (unsigned cz = 0; cz < gz; cz++) for (unsigned cy = 0; cy < gy; cy++) for (unsigned cx = 0; cx < gx; cx++)
    for (unsigned tz = 0; tz < bz; tz++) for (unsigned ty = 0; ty < by; ty++) for (unsigned tx = 0; tx < bx; tx++) {
      unsigned x = cx * bx + tx, y = cy * by + ty, z = cz * bz + tz;
      o[(z * ny + y) * nx + x] = cx | cy << 4 | cz << 8 | tx << 12 | ty << 16 | tz << 20;
    }
  } else return 500;
  return 0;
}
CUresult cuGetErrorName(CUresult e, const char **s) {
  switch (e) {
    case 0: *s = "CUDA_SUCCESS"; return 0; case 1: *s = "CUDA_ERROR_INVALID_VALUE"; return 0; case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
    case 201: *s = "CUDA_ERROR_INVALID_CONTEXT"; return 0; case 218: *s = "CUDA_ERROR_INVALID_PTX"; return 0;
    case 400: *s = "CUDA_ERROR_INVALID_HANDLE"; return 0; case 500: *s = "CUDA_ERROR_NOT_FOUND"; return 0; case 719: *s = "CUDA_ERROR_LAUNCH_FAILED"; return 0;
  }
  *s = 0; return 1;
}
CUresult cuGetErrorString(CUresult e, const char **s) { *s = e == 2 ? "out of memory" : "fake error"; return 0; }
