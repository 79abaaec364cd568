using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Bench.Columns;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;
using RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The tensor-core flash kernels (<see cref="TensorCoreFlashSteps"/>) launched directly on CUDA, on the anchors' shapes in
/// bf16 with blocks of 128: dense, and block-sparse under a random mask of density 0.25 and 0.10 (the Triton kernel's
/// anchor columns), for each combination of the tuning knobs (<see cref="Configs"/>), and the Hopper kernels
/// (<see cref="HopperFlashSteps"/>, the <c>hopper</c> configs, which need compute capability 9.0): 42 cases in all.
/// Each setup checks sampled rows against fp64 first. It throws at setup without a CUDA device.
/// </summary>
public class TensorCoreFlashBenchmarks : IAttentionWorkload, IDisposable
{
    private const int Block = 128;
    private Context? _context;
    private Accelerator _accelerator = null!;
    private DeviceTensor<BFloat16> _q = null!, _k = null!, _v = null!, _o = null!;
    private DeviceBuffer<int> _counts = null!, _lists = null!;
    private DeviceBuffer<float> _unused = null!;
    private double _density = 1;

    /// <summary>
    /// The anchor row's S x H x D, then the knobs that differ from the launcher's defaults: <c>stages2</c> (a two-stage
    /// K/V ring, one barrier per key tile) and the other rows-per-warp value: at D = 64 <c>rows16</c> (8 warps per tile of
    /// 128 instead of 4), at D = 128 <c>rows32</c> (4 warps instead of 8, each K/V fragment feeding two mma; Q stays in
    /// shared memory and the key tiles are 32); or <c>hopper</c>: the Hopper kernels (wgmma), whose knobs are <c>stages2</c> /
    /// <c>stages4</c> (a K/V ring of two or four stages instead of three; four at D = 64 only), <c>pingpong</c> / <c>nopingpong</c> (the consumer warpgroups take turns at the
    /// tensor cores, or not), <c>consumers2</c> (dense at D = 64 with two consumer warpgroups, 128 query rows a group,
    /// instead of three), <c>pertile</c> (one group per tile instead of a persistent grid) and <c>seg3</c> / <c>seg2</c>
    /// (stages of 3 or 2 segments of 64 keys instead of the head dim's default; <c>seg3</c> at D = 128 takes 2 stages); see
    /// <see cref="HopperFlashTuning"/>.
    /// </summary>
    [ParamsSource(nameof(Configs))] public string Config { get; set; } = "16384x24x128";

    /// <summary>The <see cref="Config"/> values: every knob combination on each anchor shape, without duplicates.</summary>
    public static IEnumerable<string> Configs =>
    [
        "16384x24x128", "16384x24x128 stages2", "16384x24x128 rows32", "16384x24x128 rows32 stages2",
        "32768x24x64", "32768x24x64 stages2", "32768x24x64 rows16", "32768x24x64 rows16 stages2",
        "16384x24x128 hopper", "16384x24x128 hopper stages2", "16384x24x128 hopper nopingpong", "16384x24x128 hopper pertile",
        "32768x24x64 hopper", "32768x24x64 hopper stages2", "32768x24x64 hopper nopingpong", "32768x24x64 hopper pertile",
        "32768x24x64 hopper consumers2", "16384x24x128 hopper seg3", "32768x24x64 hopper seg2", "32768x24x64 hopper stages4",
    ];

    [Params("dense", "sparse-0.25", "sparse-0.10")] public string Method { get; set; } = "dense";

    /// <summary>Query rows per group: the block (128); 64 measured 1.1-1.25x slower everywhere on the H100, so it is
    /// left out of the run (add it here to time it again).</summary>
    [Params(128)] public int Tile { get; set; } = 128;

    private string Shape => Config.Split(' ')[0];

    private int? WarpRows => Config.Split(' ').Contains("rows16") ? 16 : Config.Split(' ').Contains("rows32") ? 32 : null;

    private int Stages => Config.Split(' ').Contains("stages2") ? 2 : 1;

    private bool Hopper => Config.Split(' ').Contains("hopper");

    /// <summary>The Hopper knobs: <see cref="HopperFlashTuning.Default"/> changed by the config's words.</summary>
    private HopperFlashTuning HopperTuning
    {
        get
        {
            string[] words = Config.Split(' ');
            HopperFlashTuning knobs = HopperFlashTuning.Default;
            if (words.Contains("stages2")) knobs = knobs with { Stages = 2 };
            if (words.Contains("stages4")) knobs = knobs with { Stages = 4 };
            if (words.Contains("pingpong")) knobs = knobs with { PingPong = true };
            if (words.Contains("nopingpong")) knobs = knobs with { PingPong = false };
            if (words.Contains("consumers2")) knobs = knobs with { DenseConsumers = 2 };
            if (words.Contains("pertile")) knobs = knobs with { Persistent = false };
            // Three segments a stage; at D = 128 they fit 2 stages only.
            if (words.Contains("seg3")) knobs = knobs with { Segments = 3, Stages = Size.D == 128 ? 2 : knobs.Stages };
            if (words.Contains("seg2")) knobs = knobs with { Segments = 2 };
            return knobs;
        }
    }

    private string Family => Hopper ? "hopper" : "tensor-core";

    private (int S, int H, int D) Size
    {
        get
        {
            int[] parts = [.. Shape.Split('x').Select(int.Parse)];
            return (parts[0], parts[1], parts[2]);
        }
    }

    private AttentionShape AttentionShape => new(1, Size.H, Size.S, Size.D, 0, 0, Block, Block);

    public double Flops => AttentionFlops.Of(1, Size.H, Size.S, Size.D, MeasuredDensity.Of(this, $"{Shape}/{Method}"));

    [GlobalSetup]
    public void Setup()
    {
        _context = Context.Create();
        _accelerator = CudaBenchmarkDevice.Open(_context, nameof(TensorCoreFlashBenchmarks));
        var (s, h, d) = Size;
        (_q, _k, _v) = AttentionWorkloads.Upload<BFloat16>(_accelerator, h, s, d, seed: 11);
        _o = DeviceTensor<BFloat16>.Allocate(_accelerator, 1, h, s, d);
        int blocks = (s + Block - 1) / Block;
        HostTensor<bool>? mask = null;
        var counts = new int[h * blocks];
        var lists = new int[h * blocks * blocks];
        if (Method != "dense")
        {
            double wanted = double.Parse(Method["sparse-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            mask = AttentionWorkloads.RandomMask(h, blocks, wanted, seed: 5);
            long kept = 0;
            for (int row = 0; row < h * blocks; row++)
            {
                Span<bool> maskRow = mask.Span.Slice(row * blocks, blocks);
                for (int j = 0; j < blocks; j++)
                    if (maskRow[j]) lists[row * blocks + counts[row]++] = j;
                kept += counts[row];
            }
            _density = (double)kept / ((long)h * blocks * blocks);
        }
        _counts = _accelerator.Allocate<int>(counts.Length);
        _counts.CopyFrom(counts);
        _lists = _accelerator.Allocate<int>(lists.Length);
        _lists.CopyFrom(lists);
        _unused = _accelerator.Allocate<float>(1);
        Attention();
        AttentionWorkloads.CheckSampledRows($"{Family} {Config}/{Method}/tile {Tile}", _q, _k, _v, _o, mask, Block, rows: 16);
        MeasuredDensity.Record(this, $"{Shape}/{Method}", _density);
        Console.WriteLine($"// {Family} {Config}/{Method}: density {_density:F3} on {_accelerator}");
    }

    [Benchmark]
    public void Attention()
    {
        if (Hopper && Method == "dense")
            HopperFlashSteps.DenseAttention(_accelerator, AttentionShape, _q.View, _k.View, _v.View, _o.View, 0, Size.S, HopperTuning);
        else if (Hopper)
            HopperFlashSteps.SparseAttention(_accelerator, AttentionShape, _q.View, _k.View, _v.View, _counts.View, _lists.View,
                _unused.View, _unused.View, false, _o.View, HopperTuning);
        else if (Method == "dense")
            TensorCoreFlashSteps.DenseAttention(_accelerator, AttentionShape, _q.View, _k.View, _v.View, _o.View, 0, Size.S, Tile, WarpRows,
                Stages);
        else
            TensorCoreFlashSteps.SparseAttention(_accelerator, AttentionShape, _q.View, _k.View, _v.View, _counts.View, _lists.View,
                _unused.View, _unused.View, false, _o.View, Tile, WarpRows, Stages);
        _accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _context?.Dispose();
        _context = null;
        GC.SuppressFinalize(this);
    }
}
