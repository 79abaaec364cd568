using System.Runtime.InteropServices;
using System.Text;
using static RectifiedSpaAttn.Compute.Cuda.CudaApi;

namespace RectifiedSpaAttn.Compute.Cuda;

/// <summary>
/// Loads each variant's PTX once per context (the driver JIT-compiles it for the device) and keeps the module until
/// the accelerator is disposed. Keyed by the variant object, which is unique per specialisation.
/// </summary>
internal sealed unsafe class CudaModuleCache
{
    private const int LogBytes = 16 * 1024;

    private readonly Dictionary<KernelVariant, CudaKernel> _kernels = new(ReferenceEqualityComparer.Instance);

    /// <summary>The loaded kernel for <paramref name="variant"/>; the context must be current.</summary>
    public CudaKernel Get(KernelVariant variant)
    {
        lock (_kernels)
        {
            if (!_kernels.TryGetValue(variant, out CudaKernel? kernel))
            {
                kernel = Load(variant);
                _kernels.Add(variant, kernel);
            }
            return kernel;
        }
    }

    /// <summary>Unloads every module (the context must be current); errors are ignored, the context is going away.</summary>
    public void Clear()
    {
        lock (_kernels)
        {
            foreach (CudaKernel kernel in _kernels.Values) cuModuleUnload(kernel.Module);
            _kernels.Clear();
        }
    }

    private static CudaKernel Load(KernelVariant variant)
    {
        nint module = LoadModule(variant);
        try
        {
            nint function;
            byte[] entry = Encoding.UTF8.GetBytes(variant.EntryPoint + "\0");
            fixed (byte* e = entry)
            {
                int result = cuModuleGetFunction(&function, module, e);
                if (result != 0)
                    throw CudaErrors.Exception(result, "cuModuleGetFunction",
                        $"entry point '{variant.EntryPoint}' of {variant.DisplayName} is not in its PTX module");
            }
            int maxThreads, staticShared;
            CudaErrors.Check(cuFuncGetAttribute(&maxThreads, FuncAttrMaxThreadsPerBlock, function), "cuFuncGetAttribute", variant.DisplayName);
            CudaErrors.Check(cuFuncGetAttribute(&staticShared, FuncAttrSharedSizeBytes, function), "cuFuncGetAttribute", variant.DisplayName);
            return new CudaKernel(module, function, maxThreads, staticShared);
        }
        catch
        {
            cuModuleUnload(module);
            throw;
        }
    }

    /// <summary>JIT-compiles the PTX with error and info log buffers, so a rejected module reports what ptxas said.</summary>
    private static nint LoadModule(KernelVariant variant)
    {
        if (string.IsNullOrEmpty(variant.Ptx))
            throw new NotSupportedException($"{variant.DisplayName} has no PTX, so it cannot run on CUDA.");

        byte[] image = Encoding.UTF8.GetBytes(variant.Ptx + "\0");
        byte* errorLog = (byte*)NativeMemory.AllocZeroed(LogBytes);
        byte* infoLog = (byte*)NativeMemory.AllocZeroed(LogBytes);
        try
        {
            int* options = stackalloc int[] { JitErrorLogBuffer, JitErrorLogBufferSizeBytes, JitInfoLogBuffer, JitInfoLogBufferSizeBytes };
            // Size options are passed as the option value itself (cast to a pointer); the driver writes back the bytes used.
            void** values = stackalloc void*[] { errorLog, (void*)(nint)LogBytes, infoLog, (void*)(nint)LogBytes };
            nint module;
            int result;
            fixed (byte* ptx = image)
                result = cuModuleLoadDataEx(&module, ptx, 4, options, values);
            if (result != 0)
            {
                string log = Text(errorLog);
                if (log.Length == 0) log = Text(infoLog);
                throw CudaErrors.Exception(result, "cuModuleLoadDataEx",
                    (log.Length > 0 ? log : "the JIT compiler gave no log") + $"\n(loading the PTX of {variant.DisplayName}, entry {variant.EntryPoint})");
            }
            return module;
        }
        finally
        {
            NativeMemory.Free(errorLog);
            NativeMemory.Free(infoLog);
        }
    }

    private static string Text(byte* log)
    {
        int length = new ReadOnlySpan<byte>(log, LogBytes).IndexOf((byte)0);
        if (length < 0) length = LogBytes;
        return Encoding.UTF8.GetString(log, length).Trim();
    }
}
