using System.Text;
using RectifiedSpaAttn.IO;

namespace RectifiedSpaAttn.Tests.IO;

/// <summary>Every malformed or hostile .safetensors input is a <see cref="TensorFormatException"/> that says what is wrong.</summary>
public sealed class SafeTensorsHostileTests
{
    private const string F32Pair = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";

    /// <summary>Reads the image from a file (so the file name must appear in the message) and from a forward-only stream.</summary>
    private static TensorFormatException Rejects(byte[] image, params string[] fragments)
    {
        using var folder = new TempFolder();
        string path = folder.Write("bad.safetensors", image);
        var fromFile = Assert.Throws<TensorFormatException>(() => SafeTensorsFile.Read(path));
        Assert.Contains(path, fromFile.Message);
        Assert.Equal(path, fromFile.FileName);
        foreach (string fragment in fragments) Assert.Contains(fragment, fromFile.Message);
        var fromStream = Assert.Throws<TensorFormatException>(() => SafeTensorsFile.Read(new ForwardOnlyStream(image), "piped"));
        Assert.Contains("'piped'", fromStream.Message);
        return fromFile;
    }

    [Fact]
    public void ShorterThanTheLengthField() => Rejects([1, 0, 0], "3 bytes", "8-byte");

    [Fact]
    public void EmptyFile() => Rejects([], "0 bytes");

    [Fact]
    public void HeaderLengthBeyondTheFile() =>
        Rejects(FileBytes.SafeTensors(500, Encoding.UTF8.GetBytes(F32Pair), new byte[8]), "header length 500", "exceeds");

    [Fact]
    public void AbsurdHeaderLength()
    {
        Rejects(FileBytes.SafeTensors(200_000_000, Encoding.UTF8.GetBytes(F32Pair), new byte[8]), "absurd");
        Rejects(FileBytes.SafeTensors(ulong.MaxValue, [], []), "absurd");
    }

    [Fact]
    public async Task AbsurdHeaderLengthAsync()
    {
        using var folder = new TempFolder();
        string path = folder.Write("bad.safetensors", FileBytes.SafeTensors(ulong.MaxValue, [], []));
        var e = await Assert.ThrowsAsync<TensorFormatException>(() => SafeTensorsFile.ReadAsync(path));
        Assert.Contains("absurd", e.Message);
    }

    [Fact]
    public void InvalidJson()
    {
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32",}"""), "not valid JSON");
        Rejects(FileBytes.SafeTensors("""{} trailing"""), "JSON");
        Rejects(FileBytes.SafeTensors("  "), "JSON");
    }

    [Fact]
    public void InvalidUtf8InTheHeader() =>
        Rejects(FileBytes.SafeTensors(6, [(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)'}'], []), "JSON");

    [Fact]
    public void WrongJsonTypes()
    {
        Rejects(FileBytes.SafeTensors("[1, 2]"), "must be a JSON object");
        Rejects(FileBytes.SafeTensors("""{"a":"F32"}"""), "tensor 'a'", "must be an object");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":32,"shape":[],"data_offsets":[0,4]}}""", new byte[4]), "dtype must be a string");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}""", new byte[8]), "shape must be an array");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[2],"data_offsets":{"b":0}}}""", new byte[8]), "data_offsets must be an array");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}""", new byte[8]), "only integers");
        Rejects(FileBytes.SafeTensors("""{"__metadata__":{"k":1}}"""), "'k' must be a string");
        Rejects(FileBytes.SafeTensors("""{"__metadata__":[]}"""), "object of strings");
    }

    [Fact]
    public void MissingOrUnknownKeys()
    {
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[2]}}""", new byte[8]), "no data_offsets");
        Rejects(FileBytes.SafeTensors("""{"a":{"shape":[2],"data_offsets":[0,8]}}""", new byte[8]), "no dtype");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","data_offsets":[0,8]}}""", new byte[8]), "no shape");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"strides":[1]}}""", new byte[8]), "unknown key 'strides'");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", new byte[8]), "'dtype' twice");
    }

    [Fact]
    public void UnknownDtype()
    {
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}""", new byte[2]), "unsupported dtype 'F8_E4M3'", "BF16");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}""", new byte[8]), "'f32'");
    }

    [Fact]
    public void NegativeDimension() =>
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[-2, -1],"data_offsets":[0,8]}}""", new byte[8]), "negative (-2)");

    [Fact]
    public void NonIntegerDimension()
    {
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", new byte[8]), "2.5", "not an integer");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}}""", new byte[8]), "2e0", "not an integer");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}""", new byte[8]), "not an integer");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[4294967298],"data_offsets":[0,8]}}""", new byte[8]), "exceeds");
    }

    [Fact]
    public void ShapeProductOverflow()
    {
        // 2^31-1 cubed overflows 64 bits; 65536^2 overflows what an array can hold. Neither may allocate.
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}}""", new byte[8]), "more than");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"BOOL","shape":[65536,65536],"data_offsets":[0,8]}}""", new byte[8]), "more than");
    }

    [Fact]
    public void HugeClaimedTensorInATinyFileIsRejectedBeforeAllocating() =>
        // 46340^2 float32 = 8.6 GB: fits an array, so only the check against the file length can stop it.
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[46340,46340],"data_offsets":[0,8589582400]}}""", new byte[8]), "past the end");

    [Fact]
    public void DataOffsetsOutsideTheBuffer()
    {
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", new byte[8]), "[8, 16]", "past the end of the 8-byte");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[-4,-4]}}""", new byte[0]), "negative");
    }

    [Fact]
    public void DataOffsetsBeginAfterEnd() =>
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", new byte[8]), "[8, 0]", "begin after they end");

    [Fact]
    public void DataOffsetsWrongCount() =>
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}""", new byte[8]), "[begin, end]");

    [Fact]
    public void ByteCountDisagreesWithShape()
    {
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", new byte[8]), "span 8 bytes", "needs 12");
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,8]}}""", new byte[8]), "needs 4");
    }

    [Fact]
    public void OverlappingTensors() =>
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]), "'a' and 'b' overlap");

    [Fact]
    public void DuplicateNames()
    {
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]), "'a' twice");
        Rejects(FileBytes.SafeTensors("""{"__metadata__":{},"__metadata__":{}}"""), "'__metadata__' twice");
        Rejects(FileBytes.SafeTensors("""{"__metadata__":{"k":"1","k":"2"}}"""), "'k' twice");
    }

    [Fact]
    public void BytesBelongingToNoTensor()
    {
        Rejects(FileBytes.SafeTensors("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]), "bytes 0 to 4", "no tensor");
        Rejects(FileBytes.SafeTensors(F32Pair, new byte[9]), "1 bytes after the last tensor");
        Rejects(FileBytes.SafeTensors("{}", new byte[3]), "3 bytes after");
    }

    [Fact]
    public void TruncatedData() =>
        // The header promises 8 data bytes; the file was cut after 5.
        Rejects(FileBytes.SafeTensors(F32Pair, new byte[5]), "past the end of the 5-byte data buffer");

    [Fact]
    public void DeeplyNestedJsonIsRejectedNotRecursedInto() =>
        Rejects(FileBytes.SafeTensors(new string('[', 5000) + new string(']', 5000)), "JSON");

    [Fact]
    public void AnEmptyHeaderObjectIsAValidEmptyFile()
    {
        var file = SafeTensorsFile.Read(new MemoryStream(FileBytes.SafeTensors("{}")));
        Assert.Empty(file.Names);
        Assert.Empty(file.Metadata);
        Assert.Contains("(none)", Assert.Throws<KeyNotFoundException>(() => file["q"]).Message);
    }
}
