using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.IO;

public sealed class TensorFileTests
{
    [Fact]
    public void DispatchesOnTheExtension()
    {
        using var folder = new TempFolder();
        RandomTensors.WithFreshSeed(random =>
        {
            var q = RandomTensors.Create(ElementType.Float32, [1, 2, 3, 4], random);
            var m = RandomTensors.Create(ElementType.Bool, [1, 2, 1, 1], random);
            var h = RandomTensors.Create(ElementType.Float16, [5], random);

            SafeTensorsFile.Write(folder.File("in.safetensors"), [new("q", q), new("mask", m)], new Dictionary<string, string> { ["k"] = "v" });
            var st = TensorFile.Load(folder.File("in.safetensors"));
            Assert.Equal(["q", "mask"], st.Keys);
            RandomTensors.AssertSame(q, st["q"], "safetensors q");
            RandomTensors.AssertSame(m, st["mask"], "safetensors mask");

            NpzArchive.Write(folder.File("in.npz"), [new("mask", m), new("q", q)]);
            var npz = TensorFile.Load(folder.File("in.npz"));
            Assert.Equal(["mask", "q"], npz.Keys);
            RandomTensors.AssertSame(q, npz["q"], "npz q");

            NpyFile.Write(folder.File("values.v1.NPY"), h);
            var npy = TensorFile.Load(folder.File("values.v1.NPY"));
            Assert.Equal(["values.v1"], npy.Keys);
            RandomTensors.AssertSame(h, npy["values.v1"], "npy");
        });
    }

    [Fact]
    public void UnknownExtensionNamesTheSupportedOnes()
    {
        foreach (string path in new[] { "weights.pt", "weights", "archive.zip" })
        {
            var e = Assert.Throws<ArgumentException>(() => TensorFile.Load(path));
            Assert.Contains(path, e.Message);
            foreach (string ext in TensorFile.SupportedExtensions) Assert.Contains(ext, e.Message);
        }
        Assert.Contains("no extension", Assert.Throws<ArgumentException>(() => TensorFile.Load("weights")).Message);
    }

    [Fact]
    public void MissingFile()
    {
        using var folder = new TempFolder();
        foreach (string name in new[] { "none.safetensors", "none.npz", "none.npy" })
        {
            string path = folder.File(name);
            var e = Assert.Throws<FileNotFoundException>(() => TensorFile.Load(path));
            Assert.Equal(path, e.FileName);
            Assert.Contains(path, e.Message);
        }
    }

    [Fact]
    public void MalformedFilesSurfaceAsFormatErrors()
    {
        using var folder = new TempFolder();
        foreach (string name in new[] { "bad.safetensors", "bad.npz", "bad.npy" })
        {
            string path = folder.Write(name, [1, 2, 3]);
            var e = Assert.Throws<TensorFormatException>(() => TensorFile.Load(path));
            Assert.Contains(path, e.Message);
        }
    }
}
