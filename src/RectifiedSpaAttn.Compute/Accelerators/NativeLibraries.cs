using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute;

/// <summary>
/// Finds the native driver libraries. The imports name the Linux sonames (<c>libcuda.so.1</c>, <c>libOpenCL.so.1</c>);
/// this resolver maps them to <c>nvcuda.dll</c>/<c>OpenCL.dll</c> on Windows and the OpenCL framework on macOS, and
/// lets the backends probe for a library without an exception.
/// </summary>
internal static class NativeLibraries
{
    public const string Cuda = "libcuda.so.1";
    public const string OpenCL = "libOpenCL.so.1";

    private static readonly ConcurrentDictionary<string, nint> s_loaded = new();

    // The type initializer runs once, and blocks concurrent first callers, before any member is used.
    static NativeLibraries()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Another component of this assembly installed a resolver first; default probing still finds the
            // Linux sonames, which is all that resolver could be missing.
        }
    }

    /// <summary>Installs the resolver for this assembly; must run before the first driver import is called.</summary>
    public static void EnsureRegistered()
    {
        // Nothing to do: calling any member runs the type initializer above.
    }

    /// <summary>The file name the platform uses for <paramref name="library"/> (for messages).</summary>
    public static string PlatformFileName(string library) => Candidates(library)[0];

    /// <summary>Loads <paramref name="library"/> (any of its platform names) without throwing.</summary>
    public static bool TryLoad(string library, out nint handle)
    {
        if (s_loaded.TryGetValue(library, out handle)) return true;
        foreach (string candidate in Candidates(library))
        {
            // The plain OS loader only: the assembly-aware overload could consult this very resolver again.
            if (NativeLibrary.TryLoad(candidate, out handle))
            {
                s_loaded[library] = handle;
                return true;
            }
        }
        handle = 0;
        return false;
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        => (libraryName is Cuda or OpenCL) && TryLoad(libraryName, out nint handle) ? handle : 0;

    private static string[] Candidates(string library)
    {
        if (OperatingSystem.IsWindows())
            return library == Cuda ? ["nvcuda.dll"] : ["OpenCL.dll"];
        if (OperatingSystem.IsMacOS())
            return library == Cuda ? ["libcuda.dylib"] : ["/System/Library/Frameworks/OpenCL.framework/OpenCL"];
        return library == Cuda ? ["libcuda.so.1", "libcuda.so"] : ["libOpenCL.so.1", "libOpenCL.so"];
    }
}
