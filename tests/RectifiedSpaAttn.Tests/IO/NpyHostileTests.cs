using System.Buffers.Binary;
using System.Text;
using RectifiedSpaAttn.IO;

namespace RectifiedSpaAttn.Tests.IO;

/// <summary>Every malformed, hostile or unsupported .npy input is a <see cref="TensorFormatException"/> that says what is wrong.</summary>
public sealed class NpyHostileTests
{
    private static string Dict(string descr = "<f4", string fortran = "False", string shape = "(2,)") =>
        $"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}\n";

    private static TensorFormatException Rejects(byte[] image, params string[] fragments)
    {
        using var folder = new TempFolder();
        string path = folder.Write("bad.npy", image);
        var fromFile = Assert.Throws<TensorFormatException>(() => NpyFile.Read(path));
        Assert.Contains(path, fromFile.Message);
        foreach (string fragment in fragments) Assert.Contains(fragment, fromFile.Message);
        Assert.Throws<TensorFormatException>(() => NpyFile.Read(new ForwardOnlyStream(image)));
        return fromFile;
    }

    [Fact]
    public void WrongMagic()
    {
        Rejects(Encoding.ASCII.GetBytes("PK\x03\x04 this is a zip"), "not an .npy file", "50 4B 03 04");
        Rejects([], "not an .npy file", "empty");
        Rejects([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'X', 1, 0, 0, 0], "not an .npy file");
    }

    [Fact]
    public void TruncatedPreamble()
    {
        Rejects([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1], "preamble is truncated");
        Rejects([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 10, 0], "4-byte header length");
    }

    [Fact]
    public void TruncatedHeader()
    {
        byte[] full = FileBytes.Npy(Dict(), FileBytes.Floats(1, 2));
        Rejects(full[..30], "header is truncated");
    }

    [Fact]
    public void AbsurdHeaderLength()
    {
        byte[] image = FileBytes.Npy(Dict(), FileBytes.Floats(1, 2), major: 2);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(8), uint.MaxValue);
        Rejects(image, "absurd");
    }

    [Fact]
    public void UnsupportedVersion() => Rejects(FileBytes.Npy(Dict(), FileBytes.Floats(1, 2), major: 4), "version 4.0");

    [Fact]
    public void DataShorterThanTheShape() =>
        Rejects(FileBytes.Npy(Dict(shape: "(3,)"), FileBytes.Floats(1, 2)), "truncated", "needs 12 bytes", "has 8");

    [Fact]
    public void TrailingGarbageAfterTheData() =>
        Rejects(FileBytes.Npy(Dict(), [.. FileBytes.Floats(1, 2), 0xAB]), "1 bytes of trailing data");

    [Fact]
    public void BigEndian()
    {
        Rejects(FileBytes.Npy(Dict(descr: ">f4"), FileBytes.Floats(1, 2)), "big-endian");
        Rejects(FileBytes.Npy(Dict(descr: ">i8"), new byte[16]), "big-endian");
    }

    [Fact]
    public void FortranOrder() =>
        Rejects(FileBytes.Npy(Dict(fortran: "True", shape: "(1, 2)"), FileBytes.Floats(1, 2)), "Fortran");

    [Fact]
    public void ObjectDtype() => Rejects(FileBytes.Npy(Dict(descr: "|O"), new byte[16]), "pickled Python objects");

    [Fact]
    public void StructuredDtype() =>
        Rejects(FileBytes.Npy("{'descr': [('x', '<i4'), ('y', '<f8')], 'fortran_order': False, 'shape': (2,), }\n", new byte[24]), "structured");

    [Fact]
    public void UnsupportedDtype()
    {
        Rejects(FileBytes.Npy(Dict(descr: "<c8"), new byte[16]), "unsupported dtype '<c8'", "'<f4'");
        Rejects(FileBytes.Npy(Dict(descr: "|u1"), new byte[2]), "unsupported dtype '|u1'");
        Rejects(FileBytes.Npy(Dict(descr: "<U3"), new byte[24]), "unsupported dtype '<U3'");
    }

    [Fact]
    public void NotAPythonDictLiteral()
    {
        Rejects(FileBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)\n", FileBytes.Floats(1, 2)), "not a valid Python dict literal");
        Rejects(FileBytes.Npy("__import__('os').system('echo hi')\n", FileBytes.Floats(1, 2)), "not a valid Python dict literal");
        Rejects(FileBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } extra\n", FileBytes.Floats(1, 2)), "after the closing");
        Rejects(FileBytes.Npy("{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }\n", FileBytes.Floats(1, 2)), "Python dict literal");
        Rejects(FileBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + new string('(', 100) + "\n", []), "nested too deeply");
    }

    [Fact]
    public void WrongOrMissingKeys()
    {
        Rejects(FileBytes.Npy("{'descr': '<f4', 'shape': (2,), }\n", FileBytes.Floats(1, 2)), "exactly 'descr', 'fortran_order' and 'shape'");
        Rejects(FileBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }\n", FileBytes.Floats(1, 2)), "'extra'");
        Rejects(FileBytes.Npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", FileBytes.Floats(1, 2)), "twice");
    }

    [Fact]
    public void WrongValueTypes()
    {
        Rejects(FileBytes.Npy(Dict(fortran: "0"), FileBytes.Floats(1, 2)), "'fortran_order' must be True or False");
        Rejects(FileBytes.Npy(Dict(shape: "'2'"), FileBytes.Floats(1, 2)), "'shape' must be a tuple of integers");
        Rejects(FileBytes.Npy(Dict(shape: "(2, 'x')"), FileBytes.Floats(1, 2)), "'shape' must be a tuple of integers");
        Rejects(FileBytes.Npy("{'descr': 4, 'fortran_order': False, 'shape': (2,), }\n", FileBytes.Floats(1, 2)), "'descr' must be a string");
    }

    [Fact]
    public void NegativeOrNonIntegerDimensions()
    {
        Rejects(FileBytes.Npy(Dict(shape: "(-2,)"), FileBytes.Floats(1, 2)), "negative (-2)");
        Rejects(FileBytes.Npy(Dict(shape: "(2.0,)"), FileBytes.Floats(1, 2)), "not an integer");
        Rejects(FileBytes.Npy(Dict(shape: "(99999999999999999999,)"), FileBytes.Floats(1, 2)), "not an integer in the 64-bit range");
    }

    [Fact]
    public void ShapeProductOverflowIsRejectedBeforeAllocating()
    {
        Rejects(FileBytes.Npy(Dict(shape: "(2147483647, 2147483647, 2147483647)"), FileBytes.Floats(1, 2)), "more than");
        // Fits an array (8.6 GB of float32), so only the check against the file length can stop it.
        Rejects(FileBytes.Npy(Dict(shape: "(46340, 46340)"), FileBytes.Floats(1, 2)), "truncated", "needs 8589582400 bytes");
    }

    [Fact]
    public void InvalidUtf8InAVersion3Header()
    {
        byte[] image = FileBytes.Npy(Dict(), FileBytes.Floats(1, 2), major: 3);
        image[13] = 0xFF;
        Rejects(image, "not valid UTF-8");
    }
}
