using System.Text;
using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.IO;

public sealed class NpyFileTests
{
    [Fact]
    public void EveryNpyDtypeRoundTripsBitExactly()
    {
        using var folder = new TempFolder();
        RandomTensors.WithFreshSeed(random =>
        {
            for (int trial = 0; trial < 8; trial++)
            {
                foreach (ElementType type in RandomTensors.NpyTypes)
                {
                    HostTensor expected = RandomTensors.Create(type, RandomTensors.Shape(random), random);
                    string path = folder.File($"{type}.npy");
                    NpyFile.Write(path, expected);
                    RandomTensors.AssertSame(expected, NpyFile.Read(path), $"{type} {expected.ShapeText} via file");

                    using var memory = new MemoryStream();
                    NpyFile.Write(memory, expected);
                    memory.Position = 0;
                    RandomTensors.AssertSame(expected, NpyFile.Read(memory), $"{type} {expected.ShapeText} via stream");
                    RandomTensors.AssertSame(expected, NpyFile.Read(new ForwardOnlyStream(memory.ToArray())), $"{type} {expected.ShapeText} via forward-only stream");
                }
            }
            Assert.Equal(["Bool.npy", "Float16.npy", "Float32.npy", "Float64.npy", "Int32.npy", "Int64.npy", "UInt16.npy"], folder.FileNames().Order());
        });
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new[] { 2, 3 })]
    [InlineData("{'descr': '|b1', 'fortran_order': False, 'shape': (), }", new int[0])]
    [InlineData("{'descr': '<i8', 'fortran_order': False, 'shape': (12345,), }", new[] { 12345 })]
    public void WriterProducesExactlyWhatNumpySaves(string dict, int[] shape)
    {
        ElementType type = dict.Contains("<f4") ? ElementType.Float32 : dict.Contains("|b1") ? ElementType.Bool : ElementType.Int64;
        HostTensor tensor = RandomTensors.Create(type, shape, new Random(Random.Shared.Next()));
        using var memory = new MemoryStream();
        NpyFile.Write(memory, tensor);

        // np.save: keys sorted, 21 - len(str(shape[0])) spaces of growth room, spaces to a 64-byte boundary, '\n'.
        string growth = shape.Length > 0 ? new string(' ', 21 - shape[0].ToString(System.Globalization.CultureInfo.InvariantCulture).Length) : "";
        string header = (dict + growth).PadRight(117) + "\n";
        var expected = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0 };
        expected.AddRange(Encoding.ASCII.GetBytes(header));
        expected.AddRange(tensor.AsBytes().ToArray());
        Assert.Equal(128, expected.Count - (int)tensor.ByteLength);
        Assert.Equal(expected.ToArray(), memory.ToArray());
    }

    [Fact]
    public void ReadsAHandBuiltVersion1File()
    {
        // An older numpy's header: 16-byte alignment, no growth room, Python 2 long suffixes.
        byte[] image = FileBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 1L), }    \n", FileBytes.Floats(1.5f, -0.25f));
        var t = Assert.IsType<HostTensor<float>>(NpyFile.Read(new MemoryStream(image)));
        Assert.Equal([2, 1], t.Shape.ToArray());
        Assert.Equal([1.5f, -0.25f], t.Span.ToArray());
    }

    [Fact]
    public void ReadsVersion2And3Headers()
    {
        byte[] v2 = FileBytes.Npy("{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }\n", [1, 0, 2, 0, 0xFF, 0xFF], major: 2);
        Assert.Equal([(ushort)1, (ushort)2, ushort.MaxValue], Assert.IsType<HostTensor<ushort>>(NpyFile.Read(new MemoryStream(v2))).Span.ToArray());

        // Version 3.0 exists for UTF-8 headers: the text is decoded as UTF-8 (the key below is reported intact).
        byte[] v3 = FileBytes.Npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), 'café': 1}\n", [0, 0, 0, 0], major: 3, encoding: Encoding.UTF8);
        Assert.Contains("'café'", Assert.Throws<TensorFormatException>(() => NpyFile.Read(new MemoryStream(v3))).Message);
        // Double quotes and odd spacing are valid Python too.
        byte[] v3ok = FileBytes.Npy("{ \"shape\" : ( 1 , ) , \"descr\" : \"<i4\" , \"fortran_order\" : False }  \n", [42, 0, 0, 0], major: 3, encoding: Encoding.UTF8);
        Assert.Equal(42, Assert.IsType<HostTensor<int>>(NpyFile.Read(new MemoryStream(v3ok))).Span[0]);
    }

    [Fact]
    public void Bf16CannotBeWrittenToNpy()
    {
        var bf16 = new HostTensor<BFloat16>(2, 2);
        var e = Assert.Throws<ArgumentException>(() => NpyFile.Write(new MemoryStream(), bf16));
        Assert.Contains("BFloat16", e.Message);
        Assert.Contains(".safetensors", e.Message);
    }

    [Fact]
    public void AFailedWriteLeavesNoFile()
    {
        using var folder = new TempFolder();
        Assert.Throws<ArgumentException>(() => NpyFile.Write(folder.File("x.npy"), new HostTensor<BFloat16>(1)));
        Assert.Empty(folder.FileNames());
    }
}
