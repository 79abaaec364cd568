using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace RectifiedSpaAttn.Tests.TestSupport;

/// <summary>
/// The one rule for a test that needs a tool this machine may lack (an OpenCL platform, ptxas, a CUDA GPU): it is
/// reported as skipped, with the reason, unless the environment says the tool must be there, and then it fails. CI
/// (<c>CI=true</c>) installs pocl and ptxas, so their absence there means a broken install step; a GPU machine sets
/// <c>RSA_REQUIRE_CUDA=1</c>. Compiled into both test assemblies (the compiler's tests link this file).
/// </summary>
internal static class MissingTool
{
    /// <summary>Whether this is a CI run (<c>CI=true</c>), where OpenCL and ptxas must be present.</summary>
    public static bool InCI => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether CUDA must be present (<c>RSA_REQUIRE_CUDA=1</c>, set on GPU machines).</summary>
    public static bool CudaRequired => Environment.GetEnvironmentVariable("RSA_REQUIRE_CUDA") == "1";

    /// <summary>Ends a test that needs OpenCL or ptxas: skipped with <paramref name="why"/>, failed in CI.</summary>
    [DoesNotReturn]
    public static void RequiredInCI(string why) => SkipUnlessRequired(why, InCI, "CI=true");

    /// <summary>Ends a test that needs a CUDA GPU: skipped with <paramref name="why"/>, failed where RSA_REQUIRE_CUDA=1.</summary>
    [DoesNotReturn]
    public static void RequiredOnGpuMachines(string why) => SkipUnlessRequired(why, CudaRequired, "RSA_REQUIRE_CUDA=1");

    [DoesNotReturn]
    private static void SkipUnlessRequired(string why, bool required, string requiredBy)
    {
        if (required) Assert.Fail($"{requiredBy} but {why}");
        Assert.Skip(why);
        throw new UnreachableException(); // Assert.Skip throws; this tells the compiler so
    }
}
