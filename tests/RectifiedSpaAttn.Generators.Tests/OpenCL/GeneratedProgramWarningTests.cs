using System.Text;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.OpenCL;
using static RectifiedSpaAttn.Compute.OpenCL.OpenCLApi;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>
/// The OpenCL C the generator writes compiles without a single warning: pocl's clang prints warnings on the user's
/// stderr (it did, for <c>if ((a == b))</c>). Builds the programs of the library's kernels, two variants of each
/// (the first and last specialisation), with the accelerator's own build options, and reads the build logs.
/// </summary>
public sealed unsafe class GeneratedProgramWarningTests(ITestOutputHelper output)
{
    [Fact]
    public void TheLibrarysKernelsBuildWithoutWarnings()
    {
        OpenCLAccelerator cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        List<KernelVariant> sample = RectifiedSpaAttn.Generated.KernelCatalog.Variants
            .Where(v => v.OpenCLUnsupportedReason is null && v.OpenCL.Length > 0)
            .GroupBy(v => v.KernelName)
            .SelectMany(g => g.Count() == 1 ? [g.First()] : new[] { g.First(), g.Last() })
            .ToList();
        Assert.True(sample.Count >= 5, $"only {sample.Count} variants to build");

        nint device = cl.Info.DeviceHandle;
        int error;
        nint context = clCreateContext(null, 1, &device, 0, null, &error);
        Assert.Equal(CL_SUCCESS, error);
        try
        {
            var warned = new List<string>();
            foreach (KernelVariant v in sample)
            {
                string log = BuildLog(context, device, v.OpenCL, cl.BuildOptions);
                if (log.Contains("warning", StringComparison.OrdinalIgnoreCase)) warned.Add(v.DisplayName + ":\n" + log);
            }
            output.WriteLine($"{sample.Count} programs built on {cl.Name} with '{cl.BuildOptions}'");
            Assert.True(warned.Count == 0, $"{warned.Count} of {sample.Count} programs warn:\n" + string.Join("\n\n", warned.Take(3)));
        }
        finally
        {
            clReleaseContext(context);
        }
    }

    /// <summary>Builds <paramref name="source"/> (which must compile) and returns the compiler's log.</summary>
    private static string BuildLog(nint context, nint device, string source, string options)
    {
        byte[] text = Encoding.UTF8.GetBytes(source);
        byte[] flags = Encoding.ASCII.GetBytes(options + "\0");
        int error;
        nint program;
        fixed (byte* s = text)
        {
            byte* sources = s;
            nuint length = (nuint)text.Length;
            program = clCreateProgramWithSource(context, 1, &sources, &length, &error);
        }
        Assert.Equal(CL_SUCCESS, error);
        try
        {
            int built;
            fixed (byte* o = flags) built = clBuildProgram(program, 1, &device, o, 0, null);
            nuint size;
            Assert.Equal(CL_SUCCESS, clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, &size));
            byte[] log = new byte[(int)size];
            fixed (byte* l = log) Assert.Equal(CL_SUCCESS, clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, l, null));
            string result = Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
            Assert.True(built == CL_SUCCESS, $"clBuildProgram returned {built}:\n{result}");
            return result;
        }
        finally
        {
            clReleaseProgram(program);
        }
    }
}
