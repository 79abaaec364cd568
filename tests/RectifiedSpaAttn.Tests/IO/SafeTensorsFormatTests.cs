using System.Text;
using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Tests.TestSupport;

namespace RectifiedSpaAttn.Tests.IO;

/// <summary>The bytes on disk match the format, not just what our own reader expects.</summary>
public sealed class SafeTensorsFormatTests
{
    [Fact]
    public void WriterProducesTheExactBytesTheFormatSpecifies()
    {
        var a = new HostTensor<float>([1f, -2f], 2);
        var b = new HostTensor<bool>([true, false, true], 1, 3);
        using var memory = new MemoryStream();
        SafeTensorsFile.Write(memory, [new("a", a), new("b", b)], new Dictionary<string, string> { ["k"] = "vv" });

        const string json = """{"__metadata__":{"k":"vv"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BOOL","shape":[1,3],"data_offsets":[8,11]}}""";
        Assert.Equal(137, json.Length);
        var expected = new List<byte> { 144, 0, 0, 0, 0, 0, 0, 0 }; // u64 LE header length: 137 padded to 144
        expected.AddRange(Encoding.ASCII.GetBytes(json + "       "));
        expected.AddRange([0x00, 0x00, 0x80, 0x3F]); // 1.0f
        expected.AddRange([0x00, 0x00, 0x00, 0xC0]); // -2.0f
        expected.AddRange([1, 0, 1]);
        Assert.Equal(expected.ToArray(), memory.ToArray());
    }

    [Fact]
    public void HeaderIsPaddedSoDataStartsEightByteAligned()
    {
        RandomTensors.WithFreshSeed(random =>
        {
            for (int trial = 0; trial < 20; trial++)
            {
                string name = new string('n', random.Next(1, 30));
                using var memory = new MemoryStream();
                SafeTensorsFile.Write(memory, [new(name, RandomTensors.Create(ElementType.Float64, RandomTensors.Shape(random), random))]);
                byte[] bytes = memory.ToArray();
                ulong n = BitConverter.ToUInt64(bytes, 0);
                Assert.Equal(0UL, n % 8);
                Assert.Equal((byte)'}', bytes[8..(8 + (int)n)].TakeWhile(_ => true).Last(c => c != (byte)' '));
            }
        });
    }

    [Fact]
    public void ReadsAHandBuiltFileInTheStyleOfOtherWriters()
    {
        // Spaces after separators, metadata last, tensors out of offset order, header length not a multiple of 8.
        const string json = """{"w": {"dtype": "F16", "shape": [2], "data_offsets": [4, 8]}, "i": {"dtype": "I32", "shape": [], "data_offsets": [0, 4]}, "__metadata__": {"format": "pt"}}""";
        byte[] data = [0x39, 0x05, 0x00, 0x00, 0x00, 0x3C, 0x00, 0xC0]; // i = 1337; w = [1.0, -2.0] in fp16
        var file = SafeTensorsFile.Read(new MemoryStream(FileBytes.SafeTensors(json, data)));
        Assert.Equal(["w", "i"], file.Names);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(1337, file.Get<int>("i").Span[0]);
        Assert.Equal(0, file["i"].Rank);
        Assert.Equal([(Half)1, (Half)(-2)], file.Get<Half>("w").Span.ToArray());
    }

    [Fact]
    public void BoolBytesOtherThanZeroAndOneReadAsTrue()
    {
        const string json = """{"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}""";
        var mask = SafeTensorsFile.Read(new MemoryStream(FileBytes.SafeTensors(json, [0, 7, 255]))).Get<bool>("m");
        Assert.Equal([false, true, true], mask.Span.ToArray());
        Assert.Equal([0, 1, 1], mask.AsBytes().ToArray());
    }

    [Fact]
    public void ReadsTheReferenceFidelityFile()
    {
        string path = TestData.Path("fidelity", "wan_d64_ff0.safetensors");
        var file = SafeTensorsFile.Read(path);

        Assert.Equal(["q", "k", "v", "mask", "out_rectified", "sparse_plain", "dense"], file.Names);
        foreach (string name in new[] { "q", "k", "v", "out_rectified", "sparse_plain" })
        {
            Assert.Equal(ElementType.BFloat16, file[name].ElementType);
            Assert.Equal([1, 2, 4096, 64], file[name].Shape.ToArray());
        }
        Assert.Equal([1, 2, 32, 32], file.Get<bool>("mask").Shape.ToArray());
        Assert.Equal([1, 2, 4096, 64], file.Get<float>("dense").Shape.ToArray());
        Assert.Equal("128", file.Metadata["block_size"]);
        Assert.Equal("BHSD", file.Metadata["layout"]);
        Assert.Equal("8", file.Metadata["top_k"]);

        // Values read independently from the file's bytes (bf16 = upper half of an fp32).
        Assert.Equal([0.59375f, 0.408203125f, -0.45703125f, 0.69140625f], file.Get<BFloat16>("q").Span[..4].ToArray().Select(x => x.ToSingle()));
        Assert.Equal([-0.5f, -0.59375f, 0.58203125f, -3.03125f], file.Get<float>("dense").Span[..4].ToArray());
        // Each query block keeps top_k = 8 of 32 key blocks: density 0.25, as the metadata says.
        var mask = file.Get<bool>("mask");
        Assert.Equal(double.Parse(file.Metadata["density"], System.Globalization.CultureInfo.InvariantCulture), mask.Span.ToArray().Count(m => m) / (double)mask.Length);
        Assert.All(file.Get<float>("dense").Data, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public async Task ReadsTheFidelityFileAsynchronouslyAndRewritesItFaithfully()
    {
        string path = TestData.Path("fidelity", "wan_d64_ff0.safetensors");
        var sync = SafeTensorsFile.Read(path);
        var async = await SafeTensorsFile.ReadAsync(path);
        Assert.Equal(sync.Names, async.Names);
        Assert.Equal(sync.Metadata, async.Metadata);
        foreach (string name in sync.Names) RandomTensors.AssertSame(sync[name], async[name], name);

        using var folder = new TempFolder();
        string copy = folder.File("copy.safetensors");
        SafeTensorsFile.Write(copy, sync.Names.Select(n => new KeyValuePair<string, HostTensor>(n, sync[n])), sync.Metadata);
        var reread = SafeTensorsFile.Read(copy);
        Assert.Equal(sync.Names, reread.Names);
        Assert.Equal(sync.Metadata.OrderBy(p => p.Key), reread.Metadata.OrderBy(p => p.Key));
        foreach (string name in sync.Names) RandomTensors.AssertSame(sync[name], reread[name], name);
        // Same data buffer, since tensors are packed in the same order.
        Assert.Equal(new FileInfo(path).Length - 8 - 1112, new FileInfo(copy).Length - 8 - BitConverter.ToInt64(File.ReadAllBytes(copy), 0));
    }
}
