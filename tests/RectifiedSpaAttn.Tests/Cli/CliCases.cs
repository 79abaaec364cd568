using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Cli;

/// <summary>Input files for CLI tests, filled with fresh random values (never zeros).</summary>
internal static class CliCases
{
    public static HostTensor<float> RandomTensor(Random random, params int[] shape)
    {
        var t = new HostTensor<float>(shape);
        foreach (ref float x in t.Span) x = (float)(random.NextDouble() * 4 - 2);
        return t;
    }

    public static (HostTensor<float> Q, HostTensor<float> K, HostTensor<float> V) RandomQkv(int b, int h, int s, int d, int? seed = null)
    {
        var random = seed is int fixedSeed ? new Random(fixedSeed) : new Random();
        return (RandomTensor(random, b, h, s, d), RandomTensor(random, b, h, s, d), RandomTensor(random, b, h, s, d));
    }

    public static string WriteRandomInput(TempDirectory dir, int b, int h, int s, int d, string name = "in.safetensors")
    {
        var (q, k, v) = RandomQkv(b, h, s, d);
        return Write(dir, name, q, k, v);
    }

    public static string Write(TempDirectory dir, string name, HostTensor q, HostTensor k, HostTensor v, params (string Name, HostTensor Tensor)[] extra)
    {
        string path = dir.File(name);
        var tensors = new List<KeyValuePair<string, HostTensor>> { new("q", q), new("k", k), new("v", v) };
        tensors.AddRange(extra.Select(e => new KeyValuePair<string, HostTensor>(e.Name, e.Tensor)));
        if (name.EndsWith(".npz", StringComparison.Ordinal)) NpzArchive.Write(path, tensors);
        else SafeTensorsFile.Write(path, tensors);
        return path;
    }
}
