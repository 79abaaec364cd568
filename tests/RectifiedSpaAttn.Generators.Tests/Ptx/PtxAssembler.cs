using System.Diagnostics;
using System.Text.RegularExpressions;
using RectifiedSpaAttn.Tests.TestSupport;

namespace RectifiedSpaAttn.Generators.Tests.Ptx;

/// <summary>
/// Runs ptxas on generated PTX. Where ptxas is missing, a CI run (CI=true) fails and a local run skips the test with
/// the reason; the textual assertions a test makes before assembling still run either way.
/// </summary>
internal static partial class PtxAssembler
{
    public static readonly string[] Architectures = ["sm_80", "sm_90"];

    /// <summary>Where to find ptxas: PTXAS, then /usr/local/bin, CUDA_PATH/bin, /usr/local/cuda/bin, then PATH.</summary>
    public static string? Locate()
    {
        var candidates = new List<string?>
        {
            Environment.GetEnvironmentVariable("PTXAS"),
            "/usr/local/bin/ptxas",
            Environment.GetEnvironmentVariable("CUDA_PATH") is { } cuda ? Path.Combine(cuda, "bin", "ptxas") : null,
            "/usr/local/cuda/bin/ptxas",
        };
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            if (dir.Length > 0) candidates.Add(Path.Combine(dir, OperatingSystem.IsWindows() ? "ptxas.exe" : "ptxas"));
        return candidates.FirstOrDefault(c => c != null && File.Exists(c));
    }

    /// <summary>Assembles <paramref name="ptx"/> for sm_80 and sm_90 with -v, failing on any error; prints ptxas's report.</summary>
    public static void AssembleForAllTargets(string ptx, ITestOutputHelper output, string name)
    {
        DumpIfAsked(ptx, name);
        string? ptxas = Locate();
        if (ptxas is null)
            MissingTool.RequiredInCI("ptxas was not found (set PTXAS or put it on PATH): the generated PTX was not assembled, only its text was checked.");
        string dir = Directory.CreateTempSubdirectory("rsa-ptx-").FullName;
        try
        {
            string file = Path.Combine(dir, name + ".ptx");
            File.WriteAllText(file, ptx);
            foreach (string arch in Architectures)
            {
                (int code, string log) = Run(ptxas, $"-arch={arch} -v \"{file}\" -o \"{Path.Combine(dir, name + "." + arch + ".cubin")}\"");
                output.WriteLine($"ptxas -arch={arch}: exit {code}");
                output.WriteLine(log);
                if (code != 0 || ErrorLine().IsMatch(log))
                    Assert.Fail($"ptxas -arch={arch} rejected the generated PTX:\n{log}\n--- PTX ---\n{Numbered(ptx)}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The registers per thread ptxas allocates for the single entry of <paramref name="ptx"/> on
    /// <paramref name="arch"/> (from <c>-v</c>); where ptxas is missing the test is skipped (a CI run fails instead, as above).
    /// </summary>
    public static int Registers(string ptx, string arch, ITestOutputHelper output, string name)
    {
        string? ptxas = Locate();
        if (ptxas is null)
            MissingTool.RequiredInCI("ptxas was not found (set PTXAS or put it on PATH): register use was not checked.");
        string dir = Directory.CreateTempSubdirectory("rsa-ptx-").FullName;
        try
        {
            string file = Path.Combine(dir, name + ".ptx");
            File.WriteAllText(file, ptx);
            (int code, string log) = Run(ptxas, $"-arch={arch} -v \"{file}\" -o \"{Path.Combine(dir, name + ".cubin")}\"");
            output.WriteLine(log);
            Assert.True(code == 0, $"ptxas -arch={arch} failed:\n{log}");
            Match used = UsedRegisters().Match(log);
            Assert.True(used.Success, $"ptxas -v printed no register count:\n{log}");
            return int.Parse(used.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [GeneratedRegex(@"Used (\d+) registers")]
    private static partial Regex UsedRegisters();

    /// <summary>With RSA_PTX_DUMP set to a folder, every generated module is written there too (for running on a GPU by hand).</summary>
    private static void DumpIfAsked(string ptx, string name)
    {
        string? dump = Environment.GetEnvironmentVariable("RSA_PTX_DUMP");
        if (string.IsNullOrEmpty(dump)) return;
        Directory.CreateDirectory(dump);
        File.WriteAllText(Path.Combine(dump, name + ".ptx"), ptx);
    }

    /// <summary>Runs a tool, returning its exit code and its output and error text.</summary>
    internal static (int Code, string Log) Run(string exe, string args)
    {
        var psi = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + err.Result);
    }

    private static string Numbered(string text)
        => string.Join("\n", text.Split('\n').Select((l, i) => $"{i + 1,4}: {l}"));

    [GeneratedRegex(@"\berror\b", RegexOptions.IgnoreCase)]
    private static partial Regex ErrorLine();
}
