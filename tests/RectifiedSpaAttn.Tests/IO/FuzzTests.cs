using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;
using Xunit.Sdk;

namespace RectifiedSpaAttn.Tests.IO;

/// <summary>
/// Randomly damaged .safetensors, .npy and .npz files either read correctly or fail with
/// <see cref="TensorFormatException"/>: never another exception, a hang or an allocation out of proportion to the file.
/// FsCheck draws the cases; a failure prints the case (format and seed) and the replay seed.
/// </summary>
public sealed class FuzzTests
{
    /// <summary>A read of a file of a few hundred bytes that takes longer than this has hung (generous for a loaded machine).</summary>
    private static readonly TimeSpan MaxReadTime = TimeSpan.FromSeconds(10);

    [Property(Arbitrary = [typeof(FuzzCases)], MaxTest = 1500, QuietOnSuccess = true)]
    public void ADamagedFileReadsCorrectlyOrFailsWithATensorFormatException(FuzzCase fuzz)
    {
        var random = new Random(fuzz.Seed);
        (byte[] valid, List<KeyValuePair<string, HostTensor>> written) = FuzzFiles.Valid(fuzz.Format, random);
        byte[] damaged = FuzzFiles.Damage(fuzz.Format, valid, random);

        (IReadOnlyList<KeyValuePair<string, HostTensor>>? read, Exception? error, long allocated) = ReadBounded(fuzz.Format, damaged);
        string file = Convert.ToHexString(damaged.AsSpan(0, Math.Min(damaged.Length, 512)));
        if (error is not null and not TensorFormatException)
            throw new XunitException($"{error.GetType().Name} instead of TensorFormatException: {error.Message}\nfile ({damaged.Length} bytes): {file}\n{error.StackTrace}");
        long allowed = AllocationAllowance(damaged.Length);
        Assert.True(allocated <= allowed, $"reading a {damaged.Length}-byte file allocated {allocated} bytes (allowed {allowed})\nfile: {file}");
        if (read is null) return;

        if (damaged.AsSpan().SequenceEqual(valid))
        {
            Assert.Equal(written.Select(t => t.Key), read.Select(t => t.Key));
            foreach (((string name, HostTensor expected), (_, HostTensor actual)) in written.Zip(read))
                RandomTensors.AssertSame(expected, actual, name);
        }
        // What a damaged file yields must be a real file's content: written back and read again, it is unchanged.
        byte[] rewritten = FuzzFiles.Write(fuzz.Format, read);
        (IReadOnlyList<KeyValuePair<string, HostTensor>>? again, Exception? rereadError, _) = ReadBounded(fuzz.Format, rewritten);
        Assert.True(rereadError is null, $"the content read from a damaged file does not read back once written: {rereadError?.Message}");
        Assert.Equal(read.Select(t => t.Key), again!.Select(t => t.Key));
        foreach (((string name, HostTensor first), (_, HostTensor second)) in read.Zip(again!))
            RandomTensors.AssertSame(first, second, name);
        if (fuzz.Format != FuzzFormat.Npz)
            Assert.True(read.Sum(t => t.Value.ByteLength) <= damaged.Length, "the reader returned more tensor bytes than the file holds");
    }

    /// <summary>The damage must mostly hit structure, or the property above would prove little.</summary>
    [Theory]
    [InlineData(FuzzFormat.SafeTensors)]
    [InlineData(FuzzFormat.Npy)]
    [InlineData(FuzzFormat.Npz)]
    public void TheDamageMostlyBreaksTheFile(FuzzFormat format)
    {
        const int cases = 300;
        int seed = Random.Shared.Next(), rejected = 0;
        var random = new Random(seed);
        for (int i = 0; i < cases; i++)
        {
            byte[] damaged = FuzzFiles.Damage(format, FuzzFiles.Valid(format, random).Bytes, random);
            if (ReadBounded(format, damaged).Error is TensorFormatException) rejected++;
        }
        Assert.True(rejected > cases / 4, $"seed {seed}: only {rejected} of {cases} damaged {format} files were rejected");
    }

    /// <summary>
    /// What one read may allocate: 8 bytes per byte of file (the tensors, buffers and parsing), plus 4 MiB, since a
    /// small npz entry may really inflate to an npy header of up to 1 MiB, held as bytes and as text. A tensor of the
    /// size a header claims, rather than the size the data has, would exceed this.
    /// </summary>
    private static long AllocationAllowance(int fileLength) => 8L * fileLength + (4 << 20);

    /// <summary>Reads on a worker thread, bounded in time, measuring what the read allocated on that thread.</summary>
    private static (IReadOnlyList<KeyValuePair<string, HostTensor>>? Tensors, Exception? Error, long Allocated) ReadBounded(FuzzFormat format, byte[] bytes)
    {
        var task = Task.Factory.StartNew(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                IReadOnlyList<KeyValuePair<string, HostTensor>> tensors = FuzzFiles.Read(format, bytes);
                return (tensors, (Exception?)null, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            catch (Exception e)
            {
                return ((IReadOnlyList<KeyValuePair<string, HostTensor>>?)null, e, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        }, TaskCreationOptions.LongRunning);
        if (!task.Wait(MaxReadTime))
            throw new XunitException($"reading a {bytes.Length}-byte {format} file did not finish in {MaxReadTime.TotalSeconds} s\nfile: {Convert.ToHexString(bytes)}");
        return task.Result;
    }
}

/// <summary>The three file formats the fuzz property feeds.</summary>
public enum FuzzFormat { SafeTensors, Npy, Npz }

/// <summary>One fuzz case: the format and the seed of its valid file and its damage. FsCheck prints it on failure.</summary>
public sealed record FuzzCase(FuzzFormat Format, int Seed)
{
    public override string ToString() => $"{Format} file, damage seed {Seed}";
}

/// <summary>FsCheck's generator of fuzz cases (a format and a seed each).</summary>
public static class FuzzCases
{
    public static Arbitrary<FuzzCase> Cases() =>
        (from format in Gen.Elements(Enum.GetValues<FuzzFormat>())
         from seed in Gen.Choose(0, int.MaxValue)
         select new FuzzCase(format, seed)).ToArbitrary();
}

/// <summary>Valid files of each format, the ways to damage them, and the readers and writers under test.</summary>
internal static class FuzzFiles
{
    public static IReadOnlyList<KeyValuePair<string, HostTensor>> Read(FuzzFormat format, byte[] bytes)
    {
        switch (format)
        {
            case FuzzFormat.SafeTensors:
                SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(bytes), "fuzz");
                return file.Names.Select(n => new KeyValuePair<string, HostTensor>(n, file[n])).ToList();
            case FuzzFormat.Npy:
                return [new("array", NpyFile.Read(new MemoryStream(bytes)))];
            default:
                return NpzArchive.Read(new MemoryStream(bytes), "fuzz").ToList();
        }
    }

    public static byte[] Write(FuzzFormat format, IReadOnlyList<KeyValuePair<string, HostTensor>> tensors)
    {
        using var memory = new MemoryStream();
        switch (format)
        {
            case FuzzFormat.SafeTensors: SafeTensorsFile.Write(memory, tensors, new Dictionary<string, string> { ["block_size"] = "128" }); break;
            case FuzzFormat.Npy: NpyFile.Write(memory, tensors.Single().Value); break;
            default: NpzArchive.Write(memory, tensors); break;
        }
        return memory.ToArray();
    }

    /// <summary>A valid file of random tensors of every type the format holds, and the tensors written.</summary>
    public static (byte[] Bytes, List<KeyValuePair<string, HostTensor>> Tensors) Valid(FuzzFormat format, Random random)
    {
        using var memory = new MemoryStream();
        List<KeyValuePair<string, HostTensor>> tensors;
        switch (format)
        {
            case FuzzFormat.SafeTensors:
                tensors = RandomSet(random, RandomTensors.AllTypes);
                SafeTensorsFile.Write(memory, tensors, new Dictionary<string, string> { ["block_size"] = "128" });
                break;
            case FuzzFormat.Npy:
                tensors = [new("array", RandomTensors.Create(RandomTensors.NpyTypes[random.Next(RandomTensors.NpyTypes.Length)], RandomTensors.Shape(random), random))];
                NpyFile.Write(memory, tensors[0].Value);
                break;
            default:
                tensors = RandomSet(random, RandomTensors.NpyTypes);
                NpzArchive.Write(memory, tensors, random.Next(2) == 0 ? CompressionLevel.NoCompression : CompressionLevel.Fastest);
                break;
        }
        return (memory.ToArray(), tensors);
    }

    /// <summary>
    /// Most cases damage the valid file in one to three places (flipped bits, random bytes, a truncation, an inserted
    /// syntax character, a clobbered 4/8-byte field, a huge length where the format keeps one); the rest replace it
    /// with a well-formed file whose header nests deeply or declares a huge shape. About one case in fifty is left
    /// intact, so the property also sees correct reads of the original tensors.
    /// </summary>
    public static byte[] Damage(FuzzFormat format, byte[] valid, Random random)
    {
        int kind = random.Next(50);
        if (kind == 0) return valid;
        if (kind <= 4) return Hostile(format, random, deep: true);
        if (kind <= 8) return Hostile(format, random, deep: false);
        var bytes = new List<byte>(valid);
        for (int n = random.Next(1, 4); n > 0 && bytes.Count > 0; n--)
        {
            // Most structure is near the start (headers); bias positions there.
            int at = random.Next(2) == 0 ? random.Next(Math.Min(bytes.Count, 160)) : random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[at] = (byte)random.Next(256); break;
                case 2: bytes.RemoveRange(at, bytes.Count - at); break;
                case 3: bytes.Insert(at, (byte)"0123456789-.,:[]{}()\"' eE"[random.Next(25)]); break;
                case 4:
                    int width = random.Next(2) == 0 ? 4 : 8;
                    for (int k = 0; k < width && at + k < bytes.Count; k++) bytes[at + k] = (byte)(random.Next(3) == 0 ? 0xFF : random.Next(256));
                    break;
                default: HugeLength(format, bytes, random); break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>Overwrites one of the format's length or size fields with a huge or slightly-too-large value.</summary>
    private static void HugeLength(FuzzFormat format, List<byte> bytes, Random random)
    {
        ulong huge = random.Next(4) switch
        {
            0 => ulong.MaxValue,
            1 => (ulong)long.MaxValue,
            2 => uint.MaxValue,
            _ => (ulong)bytes.Count + (ulong)random.Next(1, 64),
        };
        switch (format)
        {
            case FuzzFormat.SafeTensors: Patch(bytes, 0, 8, huge); break;
            case FuzzFormat.Npy: Patch(bytes, 8, bytes.Count > 6 && bytes[6] == 1 ? 2 : 4, huge); break;
            default:
                // A zip keeps sizes in each local header (PK 3 4: +18 compressed, +22 uncompressed), in the central
                // directory (PK 1 2: +20, +24, and +42 the local header's offset) and in its end record (PK 5 6: +8 and
                // +10 entry counts, +12 directory size, +16 directory offset).
                var fields = new List<(int At, int Width)>();
                for (int i = 0; i + 4 <= bytes.Count; i++)
                {
                    if (bytes[i] != 'P' || bytes[i + 1] != 'K') continue;
                    if (bytes[i + 2] == 3 && bytes[i + 3] == 4) fields.AddRange([(i + 18, 4), (i + 22, 4)]);
                    else if (bytes[i + 2] == 1 && bytes[i + 3] == 2) fields.AddRange([(i + 20, 4), (i + 24, 4), (i + 42, 4)]);
                    else if (bytes[i + 2] == 5 && bytes[i + 3] == 6) fields.AddRange([(i + 8, 2), (i + 10, 2), (i + 12, 4), (i + 16, 4)]);
                }
                if (fields.Count > 0)
                {
                    (int at, int width) = fields[random.Next(fields.Count)];
                    Patch(bytes, at, width, huge);
                }
                break;
        }
    }

    private static void Patch(List<byte> bytes, int at, int width, ulong value)
    {
        for (int k = 0; k < width && at + k < bytes.Count; k++) bytes[at + k] = (byte)(value >> (8 * k));
    }

    /// <summary>A file well-formed but for its header: deeply nested (<paramref name="deep"/>) or declaring a huge shape.</summary>
    private static byte[] Hostile(FuzzFormat format, Random random, bool deep)
    {
        int depth = random.Next(2) == 0 ? random.Next(9, 100) : random.Next(1000, 200_000);
        // Huge extents, and 0 and 1 beside them: an empty tensor of a huge shape is valid and must still read.
        string[] extents = ["2147483647", "2147483648", "4294967296", "99999999999", "9223372036854775807", "18446744073709551616", "65536", "0", "1"];
        string Dims() => string.Join(", ", Enumerable.Range(0, random.Next(1, 5)).Select(_ => extents[random.Next(extents.Length)]));
        byte[] data = new byte[random.Next(4) == 0 ? 0 : random.Next(1, 64)];
        random.NextBytes(data);
        if (format == FuzzFormat.SafeTensors)
        {
            string json = deep
                ? random.Next(3) switch
                {
                    0 => new string('[', depth) + new string(']', depth),
                    1 => "{\"__metadata__\":{\"k\":" + new string('[', depth) + new string(']', depth) + "}}",
                    _ => "{\"t\":{\"dtype\":\"F32\",\"shape\":" + new string('[', depth) + new string(']', depth) + $",\"data_offsets\":[0,{data.Length}]}}}}",
                }
                : $"{{\"t\":{{\"dtype\":\"F64\",\"shape\":[{Dims()}],\"data_offsets\":[0,{(random.Next(2) == 0 ? data.Length.ToString() : extents[random.Next(extents.Length)])}]}}}}";
            return FileBytes.SafeTensors(json, data);
        }
        string shape = deep ? new string('(', depth) + new string(')', depth) : $"({Dims()},)";
        byte[] npy = FileBytes.Npy($"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}", data, major: (byte)random.Next(1, 4));
        if (format == FuzzFormat.Npy) return npy;
        using var memory = new MemoryStream();
        using (var archive = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream entry = archive.CreateEntry("t.npy", random.Next(2) == 0 ? CompressionLevel.NoCompression : CompressionLevel.Fastest).Open();
            entry.Write(npy);
        }
        return memory.ToArray();
    }

    private static List<KeyValuePair<string, HostTensor>> RandomSet(Random random, ElementType[] types) =>
        Enumerable.Range(0, random.Next(1, 4))
            .Select(i => new KeyValuePair<string, HostTensor>($"t{i}", RandomTensors.Create(types[random.Next(types.Length)], RandomTensors.Shape(random), random)))
            .ToList();
}
