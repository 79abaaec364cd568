using BenchmarkDotNet.Attributes;
using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Bench.Columns;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Bench.Benchmarks;

/// <summary>
/// The portable (SIMT, no tensor cores) attention kernels through the device API on the GPU machine, on the anchors'
/// shapes in bf16: dense; block-sparse with a supplied random mask of density 0.25 and 0.10 (the Triton kernel's anchor
/// columns); and the whole rectified pipeline (drop rate 0.75, tau 0.3, block 128), whose FLOPs count at the density
/// its selection chose. Backend "cuda" is the first CUDA device, "opencl" the first OpenCL GPU (NVIDIA's OpenCL).
/// It throws at setup where the backend is missing.
/// </summary>
public class GpuAttentionBenchmarks : IAttentionWorkload, IDisposable
{
    private static readonly RectifiedSpaAttnOptions Rectify = new() { DropRate = 0.75, Tau = 0.3 };
    private Context? _context;
    private Accelerator _accelerator = null!;
    private DeviceTensor<BFloat16> _q = null!, _k = null!, _v = null!;
    private RectifiedSpaAttnOptions _options = Rectify;

    [Params("cuda", "opencl")] public string Backend { get; set; } = "cuda";

    /// <summary>S x H x D of an anchor row.</summary>
    [Params("16384x24x128", "32768x24x64")] public string Shape { get; set; } = "16384x24x128";

    [Params("dense", "sparse-0.25", "sparse-0.10", "rectified")] public string Method { get; set; } = "dense";

    private (int S, int H, int D) Size
    {
        get
        {
            int[] parts = [.. Shape.Split('x').Select(int.Parse)];
            return (parts[0], parts[1], parts[2]);
        }
    }

    private string Key => $"{Backend}/{Shape}/{Method}";

    public double Flops
    {
        get
        {
            var (s, h, d) = Size;
            return AttentionFlops.Of(1, h, s, d, Method == "dense" ? 1 : MeasuredDensity.Of(this, Key));
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _context = Context.Create();
        AcceleratorInfo device = (Backend == "cuda"
                ? _context.Devices.FirstOrDefault(d => d.Kind == AcceleratorKind.Cuda)
                : _context.Devices.FirstOrDefault(d => d.Kind == AcceleratorKind.OpenCL && d.IsGpu))
            ?? throw new InvalidOperationException($"GpuAttentionBenchmarks needs a {Backend} GPU; run it on the GPU machine.");
        _accelerator = _context.CreateAccelerator(device);
        var (s, h, d) = Size;
        (_q, _k, _v) = AttentionWorkloads.Upload<BFloat16>(_accelerator, h, s, d, seed: 11);
        if (Method.StartsWith("sparse", StringComparison.Ordinal))
        {
            double wanted = double.Parse(Method["sparse-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            HostTensor<bool> mask = AttentionWorkloads.RandomMask(h, (s + 127) / 128, wanted, seed: 5);
            _options = new RectifiedSpaAttnOptions { CriticalMask = mask };
        }
        using AttentionResult<BFloat16> first = Run();
        MeasuredDensity.Record(this, Key, first.Density);
        if (Method != "rectified")
            AttentionWorkloads.CheckSampledRows($"{Key}", _q, _k, _v, first.Output, Method == "dense" ? null : _options.CriticalMask, 128);
        Console.WriteLine($"// {Key}: density {first.Density:F3} on {_accelerator}");
    }

    private AttentionResult<BFloat16> Run() => AttentionWorkloads.Run(Method, _q, _k, _v, _options);

    [Benchmark]
    public void Attention()
    {
        using AttentionResult<BFloat16> result = Run();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _context?.Dispose();
        _context = null;
        GC.SuppressFinalize(this);
    }
}
