#!/usr/bin/env bash
# Dumps the PTX of every built kernel variant, the library's and the test corpus's (rsa kernels [--assembly] --dump),
# and assembles each one with ptxas, printing register counts and spills: portable modules (.target sm_80) for sm_80 and sm_90 with the ptxas on PATH, Hopper
# modules (.target sm_90a) for sm_90a with ptxas 12.4 (.ci/install-cuda-tools-12.sh; ptxas 11.8 cannot target sm_90a).
# A Hopper module that uses wgmma must hold HGMMA in its SASS (cuobjdump 12.4): a kernel fallen back to HMMA fails.
# Any ptxas error, a spill, or wgmma serialised by ptxas fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
tools12=${CUDA_TOOLS_12:-/usr/local/cuda-tools-12/bin}
dump=$(mktemp -d)
trap 'rm -rf "$dump"' EXIT
dotnet run --project src/RectifiedSpaAttn.Cli -c Release -- kernels --dump "$dump" >/dev/null
dotnet build tests/RectifiedSpaAttn.Compute.Corpus -c Release >/dev/null
dotnet run --project src/RectifiedSpaAttn.Cli -c Release --no-build -- kernels --dump "$dump" \
  --assembly tests/RectifiedSpaAttn.Compute.Corpus/bin/Release/net10.0/RectifiedSpaAttn.Compute.Corpus.dll >/dev/null
shopt -s nullglob
files=("$dump"/*.ptx)
[ "${#files[@]}" -gt 0 ] || { echo "no PTX was dumped: the kernel compiler produced nothing" >&2; exit 1; }
failed=0 portable=0 hopper=0

# assemble ARCH PTXAS FILE: prints registers and spills; returns 1 on an error or a spill.
assemble() {
  local arch=$1 ptxas=$2 f=$3 name log regs spill
  name=$(basename "$f" .ptx)
  if ! log=$("$ptxas" -arch="$arch" -v -o "${f%.ptx}.$arch.cubin" "$f" 2>&1); then
    echo "FAILED $arch $name"; echo "$log"; return 1
  fi
  regs=$(grep -o 'Used [0-9]* registers' <<<"$log" | head -1 | awk '{print $2}')
  spill=$(grep -o '[0-9]* bytes spill stores' <<<"$log" | head -1 | awk '{print $1}')
  printf '%-6s %-70s registers %4s  spill stores %s\n' "$arch" "$name" "${regs:-?}" "${spill:-0}"
  if [ "${spill:-0}" != "0" ]; then echo "  spills in $name ($arch)"; return 1; fi
  # ptxas C7514/C7515: it made the wgmma synchronous (e.g. accumulators read, or a wait under a branch, while a product
  # may be in flight), which silently undoes a Hopper kernel's overlap of the tensor cores with the softmax. The
  # corpus's intrinsic kernels (one product each, for the semantics) are exempt.
  if [[ "$name" != HopperIntrinsicKernels_* ]] && grep -q 'wgmma.mma_async instructions are serialized' <<<"$log"; then
    echo "  $name ($arch): $(grep -o 'wgmma.mma_async instructions are serialized due to [a-z ]*' <<<"$log" | head -1)"; return 1
  fi
}

for f in "${files[@]}"; do
  if grep -q '^\.target sm_90a' "$f"; then
    hopper=$((hopper + 1))
    [ -x "$tools12/ptxas" ] || { echo "ptxas 12.4 missing from $tools12: run .ci/install-cuda-tools-12.sh" >&2; exit 1; }
    assemble sm_90a "$tools12/ptxas" "$f" || { failed=1; continue; }
    if grep -q 'wgmma\.mma_async' "$f"; then
      sass=$("$tools12/cuobjdump" -sass "${f%.ptx}.sm_90a.cubin")
      if ! grep -q 'HGMMA' <<<"$sass"; then
        echo "  $(basename "$f" .ptx): wgmma in the PTX but no HGMMA in the SASS (fell back to a slower path)"; failed=1
      else
        echo "  HGMMA: $(grep -c 'HGMMA' <<<"$sass") instructions"
      fi
    fi
  else
    portable=$((portable + 1))
    for arch in sm_80 sm_90; do assemble "$arch" ptxas "$f" || failed=1; done
  fi
done
# The library (attention) and the corpus (wgmma matmul, intrinsics) hold Hopper kernels: none dumped means the check above checked nothing.
[ "$hopper" -gt 0 ] || { echo "no sm_90a module was dumped: the Hopper kernels were not built" >&2; failed=1; }
echo "assembled $portable portable PTX modules for sm_80 and sm_90, $hopper Hopper modules for sm_90a"
exit "$failed"
