using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute.Collectives.Nccl;

/// <summary>
/// NCCL, loaded at run time the way the CUDA accelerator loads libcuda: nothing is linked, so the library works without
/// NCCL until a multi-GPU communicator is asked for. The entry points are the few a sequence-parallel attention needs
/// (communicator set-up, grouped send/receive, all-gather). <c>RSA_NCCL_LIBRARY</c> names the file when it is not on
/// the loader's path (PyTorch's wheels carry it as <c>nvidia/nccl/lib/libnccl.so.2</c>).
/// </summary>
internal static unsafe class NcclLibrary
{
    /// <summary>The environment variable that names the NCCL library file.</summary>
    public const string PathVariable = "RSA_NCCL_LIBRARY";

    // ncclDataType_t: everything moves as bytes, which is exact for any element type.
    public const int Uint8 = 1;

    private static readonly Lazy<Entries?> s_entries = new(Load);
    private static string? s_unavailableReason;

    /// <summary>The loaded entry points.</summary>
    public sealed class Entries
    {
        public delegate* unmanaged<int*, int> GetVersion;
        public delegate* unmanaged<NcclUniqueId*, int> GetUniqueId;
        public delegate* unmanaged<nint*, int, NcclUniqueId, int, int> CommInitRank;
        public delegate* unmanaged<nint*, int, int*, int> CommInitAll;
        public delegate* unmanaged<nint, int> CommDestroy;
        public delegate* unmanaged<int, byte*> GetErrorString;
        public delegate* unmanaged<int> GroupStart;
        public delegate* unmanaged<int> GroupEnd;
        public delegate* unmanaged<void*, nuint, int, int, nint, nint, int> Send;
        public delegate* unmanaged<void*, nuint, int, int, nint, nint, int> Recv;
        public delegate* unmanaged<void*, void*, nuint, int, nint, nint, int> AllGather;
        public string Path = "";
    }

    /// <summary>Whether NCCL could be loaded.</summary>
    public static bool IsAvailable => s_entries.Value is not null;

    /// <summary>The entry points, or a <see cref="NotSupportedException"/> that says how to get NCCL.</summary>
    public static Entries Require() => s_entries.Value ?? throw new NotSupportedException(
        $"Multi-GPU attention needs NCCL, and it could not be loaded: {s_unavailableReason} Install NCCL (libnccl.so.2 on the " +
        $"loader's path) or set {PathVariable} to the file (PyTorch's wheels carry it as nvidia/nccl/lib/libnccl.so.2).");

    /// <summary>NCCL's version as "major.minor.patch".</summary>
    public static string Version()
    {
        Entries nccl = Require();
        int code;
        Check(nccl.GetVersion(&code), "ncclGetVersion");
        // Since 2.9 the code is major * 10000 + minor * 100 + patch; before, major * 1000 + minor * 100 + patch.
        return code >= 10000 ? $"{code / 10000}.{code / 100 % 100}.{code % 100}" : $"{code / 1000}.{code / 100 % 10}.{code % 100}";
    }

    /// <summary>Throws an <see cref="AcceleratorException"/> naming NCCL's error when <paramref name="result"/> is not <c>ncclSuccess</c>.</summary>
    public static void Check(int result, string call)
    {
        if (result == 0) return;
        string description = "";
        if (s_entries.Value is { } nccl && nccl.GetErrorString(result) is var text && text != null)
            description = ": " + Marshal.PtrToStringUTF8((nint)text);
        throw new AcceleratorException($"NCCL error {result} in {call}{description}", "ncclResult_t", result, call);
    }

    private static Entries? Load()
    {
        string? configured = Environment.GetEnvironmentVariable(PathVariable);
        string[] candidates = !string.IsNullOrWhiteSpace(configured) ? [configured]
            : OperatingSystem.IsLinux() ? ["libnccl.so.2", "libnccl.so"] : [];
        if (candidates.Length == 0)
        {
            s_unavailableReason = "NCCL exists for Linux only.";
            return null;
        }
        foreach (string candidate in candidates)
        {
            if (!NativeLibrary.TryLoad(candidate, out nint handle)) continue;
            try
            {
                return new Entries
                {
                    Path = candidate,
                    GetVersion = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(handle, "ncclGetVersion"),
                    GetUniqueId = (delegate* unmanaged<NcclUniqueId*, int>)NativeLibrary.GetExport(handle, "ncclGetUniqueId"),
                    CommInitRank = (delegate* unmanaged<nint*, int, NcclUniqueId, int, int>)NativeLibrary.GetExport(handle, "ncclCommInitRank"),
                    CommInitAll = (delegate* unmanaged<nint*, int, int*, int>)NativeLibrary.GetExport(handle, "ncclCommInitAll"),
                    CommDestroy = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(handle, "ncclCommDestroy"),
                    GetErrorString = (delegate* unmanaged<int, byte*>)NativeLibrary.GetExport(handle, "ncclGetErrorString"),
                    GroupStart = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "ncclGroupStart"),
                    GroupEnd = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "ncclGroupEnd"),
                    Send = (delegate* unmanaged<void*, nuint, int, int, nint, nint, int>)NativeLibrary.GetExport(handle, "ncclSend"),
                    Recv = (delegate* unmanaged<void*, nuint, int, int, nint, nint, int>)NativeLibrary.GetExport(handle, "ncclRecv"),
                    AllGather = (delegate* unmanaged<void*, void*, nuint, int, nint, nint, int>)NativeLibrary.GetExport(handle, "ncclAllGather"),
                };
            }
            catch (EntryPointNotFoundException e)
            {
                // ncclSend/ncclRecv arrived in NCCL 2.7; an older library cannot build the exchange.
                s_unavailableReason = $"{candidate} lacks an entry point ({e.Message}); NCCL 2.7 or later is needed.";
                return null;
            }
        }
        s_unavailableReason = $"none of {string.Join(", ", candidates)} could be loaded.";
        return null;
    }
}
