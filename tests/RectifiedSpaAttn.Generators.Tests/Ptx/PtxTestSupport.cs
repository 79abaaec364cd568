using System.Text.RegularExpressions;
using RectifiedSpaAttn.Generators.Backends.Ptx;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests.Ptx;

/// <summary>Emits a kernel, prints the PTX, assembles it, and offers assertions on its instructions.</summary>
internal static class PtxTestSupport
{
    public static string Compile(IrKernel kernel, ITestOutputHelper output)
    {
        string ptx = PtxBackend.Emit(kernel);
        output.WriteLine(ptx);
        PtxAssembler.AssembleForAllTargets(ptx, output, kernel.EntryPoint);
        return ptx;
    }

    /// <summary>The instruction lines (trimmed, without the semicolon), in order.</summary>
    public static string[] Instructions(string ptx)
        => ptx.Split('\n').Select(l => l.Trim()).Where(l => l.EndsWith(';')).Select(l => l.TrimEnd(';')).ToArray();

    /// <summary>Asserts some instruction line matches <paramref name="pattern"/> (a regex over the whole line) and returns the match.</summary>
    public static Match AssertInstruction(string ptx, string pattern)
    {
        var re = new Regex("^" + pattern + "$");
        foreach (string line in Instructions(ptx))
        {
            Match m = re.Match(line);
            if (m.Success) return m;
        }
        Assert.Fail($"No instruction matches /{pattern}/ in:\n{ptx}");
        return null!;
    }

    public static void AssertNoInstruction(string ptx, string pattern)
    {
        var re = new Regex("^" + pattern + "$");
        string? hit = Instructions(ptx).FirstOrDefault(l => re.IsMatch(l));
        Assert.True(hit is null, $"Unexpected instruction '{hit}' (/{pattern}/).");
    }

    /// <summary>Index of the first instruction matching <paramref name="pattern"/> (-1 if none).</summary>
    public static int IndexOf(string ptx, string pattern)
    {
        var re = new Regex("^" + pattern + "$");
        return Array.FindIndex(Instructions(ptx), l => re.IsMatch(l));
    }

    /// <summary>Regex pieces for register operands.</summary>
    public const string R = @"%r\d+", RD = @"%rd\d+", F = @"%f\d+", FD = @"%fd\d+", P = @"%p\d+", RS = @"%rs\d+";
}
