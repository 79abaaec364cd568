using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.IO;

/// <summary>The <c>include</c> overloads: only the tensors asked for are read, whatever the dtype of the others.</summary>
public class SelectiveReadTests
{
    private static (HostTensor<float> Q, HostTensor<float> K, HostTensor<float> V) Qkv()
    {
        var random = new Random();
        HostTensor<float> Make()
        {
            var t = new HostTensor<float>(1, 2, 3, 4);
            foreach (ref float x in t.Span) x = (float)(random.NextDouble() * 2 - 1);
            return t;
        }
        return (Make(), Make(), Make());
    }

    [Fact]
    public void SafeTensorsSkipsTensorsOfUnreadDtypesAndReadsTheRest()
    {
        using var folder = new TempFolder();
        var (q, k, v) = Qkv();
        string path = folder.File("x.safetensors");
        UnreadDtypeFiles.WriteSafeTensors(path, q, k, v);
        var asked = new List<string>();

        SafeTensorsFile file = SafeTensorsFile.Read(path, name => { asked.Add(name); return name is "q" or "v"; });

        Assert.Equal(["codes", "q", "k", "v", "scales"], asked); // header order
        Assert.Equal(["q", "v"], file.Names);
        Assert.Equal(q.Span.ToArray(), file.Get<float>("q").Span.ToArray());
        Assert.Equal(v.Span.ToArray(), file.Get<float>("v").Span.ToArray());
        Assert.False(file.Contains("k"));
        var all = Assert.Throws<TensorFormatException>(() => SafeTensorsFile.Read(path));
        Assert.Contains("unsupported dtype 'U8'", all.Message);
    }

    [Fact]
    public void ASkippedTensorsByteRangeIsStillChecked()
    {
        using var folder = new TempFolder();
        var (q, k, v) = Qkv();
        string path = folder.File("x.safetensors");
        UnreadDtypeFiles.WriteSafeTensors(path, q, k, v, codesBytes: 4); // U8 [3] cannot span 4 bytes

        var e = Assert.Throws<TensorFormatException>(() => SafeTensorsFile.Read(path, name => name == "q"));

        Assert.Contains("tensor 'codes'", e.Message);
        Assert.Contains("needs 3", e.Message);
    }

    [Fact]
    public void AnIncludedTensorOfAnUnreadDtypeIsRefused()
    {
        using var folder = new TempFolder();
        var (q, k, v) = Qkv();
        string path = folder.File("x.safetensors");
        UnreadDtypeFiles.WriteSafeTensors(path, q, k, v);

        var e = Assert.Throws<TensorFormatException>(() => SafeTensorsFile.Read(path, name => name is "q" or "scales"));

        Assert.Contains("unsupported dtype 'F8_E4M3'", e.Message);
    }

    [Fact]
    public void NpzAndTensorFileSkipArraysNotAskedFor()
    {
        using var folder = new TempFolder();
        var (q, k, v) = Qkv();
        string npz = folder.File("x.npz");
        UnreadDtypeFiles.WriteNpz(npz, q, k, v);
        string npy = folder.File("single.npy");
        NpyFile.Write(npy, q);

        IReadOnlyDictionary<string, HostTensor> read = NpzArchive.Read(npz, name => name != "codes");
        IReadOnlyDictionary<string, HostTensor> loaded = TensorFile.Load(npz, name => name == "k");

        Assert.Equal(["q", "k", "v"], read.Keys);
        Assert.Equal(k.Span.ToArray(), ((HostTensor<float>)loaded["k"]).Span.ToArray());
        Assert.Single(loaded);
        Assert.Empty(TensorFile.Load(npy, name => name != "single"));
        Assert.Single(TensorFile.Load(npy, name => name == "single"));
        Assert.Throws<TensorFormatException>(() => NpzArchive.Read(npz));
    }
}
