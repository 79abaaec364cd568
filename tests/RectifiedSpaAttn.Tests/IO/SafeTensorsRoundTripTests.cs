using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.IO;

public sealed class SafeTensorsRoundTripTests
{
    [Fact]
    public void EveryDtypeRoundTripsBitExactlyThroughAFile()
    {
        using var folder = new TempFolder();
        RandomTensors.WithFreshSeed(random =>
        {
            for (int trial = 0; trial < 10; trial++)
            {
                // Every dtype in one file, in a shuffled order, so offsets and ordering are exercised together.
                var tensors = RandomTensors.AllTypes
                    .Select(t => new KeyValuePair<string, HostTensor>($"t_{t}_{trial}", RandomTensors.Create(t, RandomTensors.Shape(random), random)))
                    .OrderBy(_ => random.Next()).ToList();
                string path = folder.File($"round{trial}.safetensors");
                SafeTensorsFile.Write(path, tensors);
                var file = SafeTensorsFile.Read(path);
                Assert.Equal(tensors.Select(t => t.Key), file.Names);
                foreach ((string name, HostTensor expected) in tensors)
                    RandomTensors.AssertSame(expected, file[name], $"trial {trial}, {name}");
                Assert.Empty(file.Metadata);
            }
        });
    }

    [Fact]
    public void MetadataRoundTripsIncludingUnusualCharacters()
    {
        using var folder = new TempFolder();
        RandomTensors.WithFreshSeed(random =>
        {
            var metadata = new Dictionary<string, string>
            {
                ["block_size"] = random.Next(1, 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["quotes \"and\" \\ backslashes"] = "tab\tnewline\n<html>&+",
                ["unicode"] = "Δt ≈ 0.5 — 動画",
                ["empty"] = "",
            };
            var tensor = RandomTensors.Create(ElementType.Float32, [2, 3], random);
            string path = folder.File("meta.safetensors");
            SafeTensorsFile.Write(path, [new("x", tensor)], metadata);
            var file = SafeTensorsFile.Read(path);
            Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
            RandomTensors.AssertSame(tensor, file["x"], "x");
        });
    }

    [Fact]
    public async Task AsyncWriteAndReadMatchTheSynchronousOnes()
    {
        using var folder = new TempFolder();
        int seed = Random.Shared.Next();
        var random = new Random(seed);
        var tensors = RandomTensors.AllTypes
            .Select(t => new KeyValuePair<string, HostTensor>(t.ToString(), RandomTensors.Create(t, RandomTensors.Shape(random), random))).ToList();
        var metadata = new Dictionary<string, string> { ["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        string syncPath = folder.File("sync.safetensors"), asyncPath = folder.File("async.safetensors");
        SafeTensorsFile.Write(syncPath, tensors, metadata);
        await SafeTensorsFile.WriteAsync(asyncPath, tensors, metadata);
        Assert.True(File.ReadAllBytes(syncPath).SequenceEqual(File.ReadAllBytes(asyncPath)), $"seed {seed}: async bytes differ");

        var file = await SafeTensorsFile.ReadAsync(asyncPath);
        Assert.Equal(tensors.Select(t => t.Key), file.Names);
        Assert.Equal(seed.ToString(System.Globalization.CultureInfo.InvariantCulture), file.Metadata["seed"]);
        foreach ((string name, HostTensor expected) in tensors) RandomTensors.AssertSame(expected, file[name], $"seed {seed}, {name}");
    }

    [Fact]
    public async Task StreamOverloadsRoundTripAndReadNonSeekableStreams()
    {
        int seed = Random.Shared.Next();
        var random = new Random(seed);
        var tensors = new List<KeyValuePair<string, HostTensor>>
        {
            new("q", RandomTensors.Create(ElementType.BFloat16, [1, 2, 8, 4], random)),
            new("mask", RandomTensors.Create(ElementType.Bool, [1, 2, 2, 2], random)),
        };
        using var memory = new MemoryStream();
        SafeTensorsFile.Write(memory, tensors, new Dictionary<string, string> { ["k"] = "v" });
        byte[] bytes = memory.ToArray();

        var fromSeekable = SafeTensorsFile.Read(new MemoryStream(bytes), "mem");
        var fromForwardOnly = SafeTensorsFile.Read(new ForwardOnlyStream(bytes));
        foreach (var file in new[] { fromSeekable, fromForwardOnly })
        {
            Assert.Equal(["q", "mask"], file.Names);
            Assert.Equal("v", file.Metadata["k"]);
            foreach ((string name, HostTensor expected) in tensors) RandomTensors.AssertSame(expected, file[name], $"seed {seed}, {name}");
        }

        using var asyncMemory = new MemoryStream();
        await SafeTensorsFile.WriteAsync(asyncMemory, tensors, new Dictionary<string, string> { ["k"] = "v" });
        Assert.True(bytes.SequenceEqual(asyncMemory.ToArray()), "async stream write differs from the sync one");
    }

    [Fact]
    public void TypedAndUntypedAccessAndLookupErrors()
    {
        var q = new HostTensor<BFloat16>([BFloat16.One, BFloat16.FromSingle(-2)], 2);
        using var memory = new MemoryStream();
        SafeTensorsFile.Write(memory, [new("q", q), new("n", new HostTensor<long>([long.MinValue, long.MaxValue], 2))]);
        memory.Position = 0;
        var file = SafeTensorsFile.Read(memory, "in.safetensors");

        Assert.Equal(2, file.Count);
        Assert.True(file.Contains("q"));
        Assert.False(file.Contains("Q"));
        Assert.Equal([1f, -2f], file.Get<BFloat16>("q").Span.ToArray().Select(b => b.ToSingle()));
        Assert.Equal([long.MinValue, long.MaxValue], file.Get<long>("n").Span.ToArray());
        Assert.True(file.TryGetValue("n", out HostTensor? n) && n.ElementType == ElementType.Int64);

        var wrongType = Assert.Throws<InvalidOperationException>(() => file.Get<float>("q"));
        Assert.Contains("'q'", wrongType.Message);
        Assert.Contains("BF16", wrongType.Message);
        Assert.Contains("Single", wrongType.Message);

        var missing = Assert.Throws<KeyNotFoundException>(() => file["v"]);
        Assert.Contains("'v'", missing.Message);
        Assert.Contains("in.safetensors", missing.Message);
        Assert.Contains("q, n", missing.Message);
    }

    [Fact]
    public void WriteRejectsBadArgumentsBeforeWritingAnything()
    {
        var t = new HostTensor<float>(1);
        using var memory = new MemoryStream();
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(memory, [new("a", t), new("a", t)]));
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(memory, [new("__metadata__", t)]));
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(memory, [new("", t)]));
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(memory, [new("a", null!)]));
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(memory, [new("a", t)], new Dictionary<string, string> { ["k"] = null! }));
        Assert.Equal(0, memory.Length);
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("out.safetensors");
        var original = new HostTensor<float>([1f, 2f], 2);
        SafeTensorsFile.Write(path, [new("old", original)]);
        byte[] before = File.ReadAllBytes(path);

        // The header and the first tensor are written, then the unknown tensor kind makes the data writer fail.
        var tensors = new List<KeyValuePair<string, HostTensor>> { new("first", new HostTensor<float>(1000)), new("alien", new AlienTensor()) };
        Assert.Throws<NotSupportedException>(() => SafeTensorsFile.Write(path, tensors));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["out.safetensors"], folder.FileNames());
    }

    [Fact]
    public async Task ACancelledAsyncWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("out.safetensors");
        SafeTensorsFile.Write(path, [new("old", new HostTensor<float>([1f], 1))]);
        byte[] before = File.ReadAllBytes(path);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            SafeTensorsFile.WriteAsync(path, [new("new", new HostTensor<double>(1000))], ct: cancelled.Token));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["out.safetensors"], folder.FileNames());
    }

    [Fact]
    public void WritingReplacesAnExistingFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("out.safetensors");
        SafeTensorsFile.Write(path, [new("a", new HostTensor<float>(100))]);
        SafeTensorsFile.Write(path, [new("b", new HostTensor<int>([7], 1))]);
        var file = SafeTensorsFile.Read(path);
        Assert.Equal(["b"], file.Names);
        Assert.Equal(7, file.Get<int>("b")[0]);
    }

    /// <summary>A tensor kind the writers do not know, to make a write fail after it has started.</summary>
    private sealed class AlienTensor() : HostTensor([4])
    {
        public override ElementType ElementType => ElementType.Float32;
        public override ReadOnlySpan<byte> AsBytes() => new byte[16];
        public override HostTensor<float> ToSingle() => new(4);
        public override HostTensor<double> ToDouble() => new(4);
    }
}
