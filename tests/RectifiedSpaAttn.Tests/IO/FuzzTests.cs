using System.IO.Compression;
using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.IO;

/// <summary>
/// Randomly damaged files either still read or fail with <see cref="TensorFormatException"/>: never an index, overflow,
/// out-of-memory or any other exception.
/// </summary>
public sealed class FuzzTests
{
    private const int Mutations = 3000;

    [Fact]
    public void DamagedSafeTensorsFiles() => Fuzz(random =>
    {
        using var memory = new MemoryStream();
        SafeTensorsFile.Write(memory, RandomSet(random, RandomTensors.AllTypes), new Dictionary<string, string> { ["block_size"] = "128" });
        return memory.ToArray();
    }, bytes => SafeTensorsFile.Read(new MemoryStream(bytes), "fuzz"));

    [Fact]
    public void DamagedNpyFiles() => Fuzz(random =>
    {
        using var memory = new MemoryStream();
        NpyFile.Write(memory, RandomTensors.Create(RandomTensors.NpyTypes[random.Next(RandomTensors.NpyTypes.Length)], RandomTensors.Shape(random), random));
        return memory.ToArray();
    }, bytes => NpyFile.Read(new MemoryStream(bytes)));

    [Fact]
    public void DamagedNpzArchives() => Fuzz(random =>
    {
        using var memory = new MemoryStream();
        NpzArchive.Write(memory, RandomSet(random, RandomTensors.NpyTypes), random.Next(2) == 0 ? CompressionLevel.NoCompression : CompressionLevel.Fastest);
        return memory.ToArray();
    }, bytes => NpzArchive.Read(new MemoryStream(bytes), "fuzz"));

    private static List<KeyValuePair<string, HostTensor>> RandomSet(Random random, ElementType[] types) =>
        Enumerable.Range(0, random.Next(1, 4))
            .Select(i => new KeyValuePair<string, HostTensor>($"t{i}", RandomTensors.Create(types[random.Next(types.Length)], RandomTensors.Shape(random), random)))
            .ToList();

    private static void Fuzz(Func<Random, byte[]> makeValid, Action<byte[]> read) => RandomTensors.WithFreshSeed(random =>
    {
        int rejected = 0;
        for (int i = 0; i < Mutations; i++)
        {
            byte[] damaged = Mutate(makeValid(random), random);
            try
            {
                read(damaged);
            }
            catch (TensorFormatException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"mutation {i}: {e.GetType().Name} instead of TensorFormatException: {e.Message}\nfile: {Convert.ToHexString(damaged)}\n{e.StackTrace}");
            }
        }
        // The damage must mostly hit structure, or this test would prove nothing.
        Assert.True(rejected > Mutations / 4, $"only {rejected} of {Mutations} damaged files were rejected");
    });

    /// <summary>One to three damages: flipped bytes (header-heavy), a truncation, an insertion or a patched 4/8-byte field.</summary>
    private static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = new List<byte>(valid);
        for (int n = random.Next(1, 4); n > 0 && bytes.Count > 0; n--)
        {
            // Most structure is near the start (headers); bias positions there.
            int at = random.Next(2) == 0 ? random.Next(Math.Min(bytes.Count, 160)) : random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[at] = (byte)random.Next(256); break;
                case 2: bytes.RemoveRange(at, bytes.Count - at); break;
                case 3: bytes.Insert(at, (byte)"0123456789-.,:[]{}\"' eE"[random.Next(23)]); break;
                default:
                    int width = random.Next(2) == 0 ? 4 : 8;
                    for (int k = 0; k < width && at + k < bytes.Count; k++) bytes[at + k] = (byte)(random.Next(3) == 0 ? 0xFF : random.Next(256));
                    break;
            }
        }
        return bytes.ToArray();
    }
}
