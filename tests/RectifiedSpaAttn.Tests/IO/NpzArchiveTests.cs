using System.IO.Compression;
using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.IO;

public sealed class NpzArchiveTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryNpyDtypeRoundTripsStoredOrDeflated(bool compressed)
    {
        using var folder = new TempFolder();
        RandomTensors.WithFreshSeed(random =>
        {
            for (int trial = 0; trial < 5; trial++)
            {
                var tensors = RandomTensors.NpyTypes
                    .Select(t => new KeyValuePair<string, HostTensor>($"{t}_{trial}", RandomTensors.Create(t, RandomTensors.Shape(random), random)))
                    .OrderBy(_ => random.Next()).ToList();
                string path = folder.File($"t{trial}.npz");
                NpzArchive.Write(path, tensors, compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
                var read = NpzArchive.Read(path);
                Assert.Equal(tensors.Select(t => t.Key), read.Keys);
                foreach ((string name, HostTensor expected) in tensors) RandomTensors.AssertSame(expected, read[name], name);
            }
        });
    }

    [Fact]
    public void EntriesAreNamedNpyFilesHoldingNpyBytes()
    {
        var q = new HostTensor<float>([1f, 2f, 3f], 3);
        using var folder = new TempFolder();
        string path = folder.File("a.npz");
        NpzArchive.Write(path, [new("q", q)]);

        using var zip = ZipFile.OpenRead(path);
        ZipArchiveEntry entry = Assert.Single(zip.Entries);
        Assert.Equal("q.npy", entry.FullName);
        Assert.Equal(entry.Length, entry.CompressedLength); // stored, like np.savez
        using var expected = new MemoryStream();
        NpyFile.Write(expected, q);
        using var actual = new MemoryStream();
        using (Stream s = entry.Open()) s.CopyTo(actual);
        Assert.Equal(expected.ToArray(), actual.ToArray());
    }

    [Fact]
    public void ReadsAHandBuiltDeflatedArchive()
    {
        // As np.savez_compressed writes: deflated NAME.npy entries, here built with the platform's zip writer.
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, float[] values) in new[] { ("k", new[] { 1f, 2f }), ("v", new[] { -3f }) })
            {
                using Stream s = zip.CreateEntry(name + ".npy", CompressionLevel.SmallestSize).Open();
                s.Write(FileBytes.Npy($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({values.Length},), }}\n", FileBytes.Floats(values)));
            }
        }
        memory.Position = 0;
        foreach (var read in new[] { NpzArchive.Read(memory, "mem.npz"), NpzArchive.Read(new ForwardOnlyStream(memory.ToArray())) })
        {
            Assert.Equal(["k", "v"], read.Keys);
            Assert.Equal([1f, 2f], ((HostTensor<float>)read["k"]).Span.ToArray());
            Assert.Equal([-3f], ((HostTensor<float>)read["v"]).Span.ToArray());
        }
    }

    [Fact]
    public void NotAZipFile()
    {
        using var folder = new TempFolder();
        string path = folder.Write("bad.npz", [1, 2, 3, 4, 5]);
        var e = Assert.Throws<TensorFormatException>(() => NpzArchive.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not a valid .npz", e.Message);
    }

    [Fact]
    public void AnEntryThatIsNotAnNpyArray()
    {
        byte[] archive = Zip(("notes.txt", [1, 2, 3]));
        var e = Assert.Throws<TensorFormatException>(() => NpzArchive.Read(new MemoryStream(archive), "x.npz"));
        Assert.Contains("'notes.txt' is not an .npy array", e.Message);
    }

    [Fact]
    public void AMalformedArrayNamesItsEntry()
    {
        byte[] archive = Zip(("q.npy", FileBytes.Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n", new byte[4])));
        var e = Assert.Throws<TensorFormatException>(() => NpzArchive.Read(new MemoryStream(archive), "x.npz"));
        Assert.Contains("'x.npz:q.npy'", e.Message);
        Assert.Contains("big-endian", e.Message);
    }

    [Fact]
    public void ATruncatedArrayInsideTheArchive()
    {
        byte[] archive = Zip(("q.npy", FileBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }\n", new byte[8])));
        var e = Assert.Throws<TensorFormatException>(() => NpzArchive.Read(new MemoryStream(archive), "x.npz"));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void DuplicateEntryNames()
    {
        byte[] npy = FileBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", new byte[4]);
        byte[] archive = Zip(("q.npy", npy), ("q.npy", npy));
        var e = Assert.Throws<TensorFormatException>(() => NpzArchive.Read(new MemoryStream(archive), "x.npz"));
        Assert.Contains("'q' twice", e.Message);
    }

    [Fact]
    public void ACorruptedEntryIsAFormatError()
    {
        byte[] archive = Zip(("q.npy", FileBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (64,), }\n", new byte[256])), compress: true);
        // Damage the deflate stream (it starts after the 30-byte local header and the 5-byte name).
        for (int i = 35; i < 45; i++) archive[i] ^= 0x5A;
        Assert.Throws<TensorFormatException>(() => NpzArchive.Read(new MemoryStream(archive), "x.npz"));
    }

    [Fact]
    public void AnEntryClaimingAnImpossibleSizeIsRejectedBeforeAllocating()
    {
        byte[] npy = FileBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (46340, 46340), }\n", new byte[16]);
        byte[] archive = Zip(("q.npy", npy));
        // Claim 8.6 GB uncompressed in the local and central headers of a stored 100-byte entry.
        PatchUInt32(archive, 0x04034b50, 22, uint.MaxValue - 1);
        PatchUInt32(archive, 0x02014b50, 24, uint.MaxValue - 1);
        var e = Assert.Throws<TensorFormatException>(() => NpzArchive.Read(new MemoryStream(archive), "x.npz"));
        Assert.Contains("'x.npz:q.npy'", e.Message);
        Assert.Contains("beyond what deflate can do", e.Message);
    }

    [Fact]
    public void ADeflatedEntryLyingAboutItsLengthAllocatesOnlyForItsRealBytes()
    {
        // 16 KB of random floats hardly compress; the npy header and both zip headers claim 16 MB, under deflate's
        // 1032:1 limit, so only the data itself shows the lie. Found by the fuzz property's question: what may a read
        // of an N-byte file allocate?
        var data = new byte[16384];
        new Random(7).NextBytes(data);
        byte[] npy = FileBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4000000,), }\n", data);
        byte[] archive = Zip(("q.npy", npy), compress: true);
        uint claimed = (uint)(npy.Length - data.Length + 4_000_000 * 4);
        PatchUInt32(archive, 0x04034b50, 22, claimed);
        PatchUInt32(archive, 0x02014b50, 24, claimed);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<TensorFormatException>(() => NpzArchive.Read(new MemoryStream(archive), "x.npz"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("'x.npz:q.npy'", e.Message);
        Assert.True(allocated < 1 << 20, $"reading a {archive.Length}-byte archive that claims {claimed} bytes allocated {allocated} bytes");
    }

    [Fact]
    public void WriteRejectsBf16AndBadNames()
    {
        using var folder = new TempFolder();
        string path = folder.File("x.npz");
        Assert.Contains("BFloat16", Assert.Throws<ArgumentException>(() => NpzArchive.Write(path, [new("q", new HostTensor<BFloat16>(1))])).Message);
        Assert.Throws<ArgumentException>(() => NpzArchive.Write(path, [new("q", new HostTensor<float>(1)), new("q", new HostTensor<float>(1))]));
        Assert.Throws<ArgumentException>(() => NpzArchive.Write(path, [new("", new HostTensor<float>(1))]));
        Assert.Empty(folder.FileNames());
    }

    private static byte[] Zip(params (string Name, byte[] Data)[] entries) => Zip(entries, compress: false);

    private static byte[] Zip((string Name, byte[] Data) entry, bool compress) => Zip([entry], compress);

    private static byte[] Zip((string Name, byte[] Data)[] entries, bool compress)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, byte[] data) in entries)
            {
                using Stream s = zip.CreateEntry(name, compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
        }
        return memory.ToArray();
    }

    /// <summary>Overwrites a 32-bit field at <paramref name="offset"/> of the first zip record with the given signature.</summary>
    private static void PatchUInt32(byte[] zip, uint signature, int offset, uint value)
    {
        for (int i = 0; i + 4 <= zip.Length; i++)
        {
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) != signature) continue;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(i + offset), value);
            return;
        }
        throw new InvalidOperationException($"no zip record {signature:X8}");
    }
}
