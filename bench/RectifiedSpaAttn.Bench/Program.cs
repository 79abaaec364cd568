using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using RectifiedSpaAttn.Bench.Anchors;
using RectifiedSpaAttn.Bench.Columns;

// --in-process runs benchmarks inside this process: the GPU machine has a .NET runtime but no SDK to build
// BenchmarkDotNet's usual child projects.
bool inProcess = args.Contains("--in-process");
// --profile-matmul [N] runs the fastest tensor-core matmul variant N times (default 1) after its check, without
// BenchmarkDotNet, so a profiler (ncu -k regex:Matmul -c 1) sees one launch, or a clock/power monitor sees sustained load.
// --profile-flash CONFIG METHOD [N] does the same for the tensor-core attention kernel alone (TensorCoreFlashBenchmarks'
// Config and Method values, e.g. "32768x24x64" dense).
int flashAt = Array.IndexOf(args, "--profile-flash");
if (flashAt >= 0)
{
    using var flash = new RectifiedSpaAttn.Bench.Benchmarks.TensorCoreFlashBenchmarks { Config = args[flashAt + 1], Method = args[flashAt + 2] };
    flash.Setup();
    TimeRepeatedCalls(flash, flash.Attention, LaunchCount(flashAt + 3));
    return;
}
// --compare-flash METHOD CALLS ROUNDS CONFIG... times configs of one shape against each other in interleaved rounds
// (FlashKnobComparison), e.g. --compare-flash dense 10 7 "16384x24x128 hopper" "16384x24x128 hopper pertile".
int compareAt = Array.IndexOf(args, "--compare-flash");
if (compareAt >= 0)
{
    RectifiedSpaAttn.Bench.Benchmarks.FlashKnobComparison.Run(Console.Out, args[(compareAt + 4)..], args[compareAt + 1],
        LaunchCount(compareAt + 2), LaunchCount(compareAt + 3));
    return;
}
// --estimation-steps [N] times each estimation step alone (N calls, default 20) at issue 11's three shapes and prints
// them with the total next to its target. --profile-estimation CONFIG [N] launches all the steps N times at one shape
// ("75600x40x128") for a profiler (ncu -k regex:Estimation... -c 6).
int stepsAt = Array.IndexOf(args, "--estimation-steps");
if (stepsAt >= 0)
{
    RectifiedSpaAttn.Bench.Benchmarks.EstimationBenchmarks.PrintSteps(Console.Out, stepsAt + 1 < args.Length ? LaunchCount(stepsAt + 1) : 20);
    return;
}
int estimationAt = Array.IndexOf(args, "--profile-estimation");
if (estimationAt >= 0)
{
    using var estimation = new RectifiedSpaAttn.Bench.Benchmarks.EstimationBenchmarks { Config = args[estimationAt + 1] };
    estimation.Setup();
    estimation.Repeat(LaunchCount(estimationAt + 2));
    return;
}
// --pipeline-split SHAPE prints CudaPipelineBenchmarks' split of a rectified call (estimation vs the attention kernel,
// medians of 5 calls) at SHAPE (e.g. 16384x24x128), without BenchmarkDotNet (its setup prints it).
int splitAt = Array.IndexOf(args, "--pipeline-split");
if (splitAt >= 0)
{
    using var pipeline = new RectifiedSpaAttn.Bench.Benchmarks.CudaPipelineBenchmarks { Shape = args[splitAt + 1], Method = "rectified" };
    pipeline.Setup();
    return;
}
// --profile-hopper [N] times, in one process, the Hopper attention kernels and the tensor-core ones on the anchors'
// shapes (16384x24x128, 32768x24x64; bf16, blocks of 128), dense and block-sparse at densities 0.25 and 0.10, N calls
// each after their sampled fp64 checks (TensorCoreFlashBenchmarks' "hopper" configs: the default, 2 stages, no ping-pong, one group per tile).
int hopperAt = Array.IndexOf(args, "--profile-hopper");
if (hopperAt >= 0)
{
    foreach (string shape in new[] { "16384x24x128", "32768x24x64" })
        foreach (string method in new[] { "dense", "sparse-0.25", "sparse-0.10" })
            foreach (string family in new[] { " hopper", " hopper stages2", " hopper nopingpong", " hopper pertile", "" })
            {
                using var flash = new RectifiedSpaAttn.Bench.Benchmarks.TensorCoreFlashBenchmarks { Config = shape + family, Method = method };
                flash.Setup();
                flash.Attention();
                Console.Write($"// {(family == "" ? "tensor-core" : family.Trim())} {shape} {method}: ");
                TimeRepeatedCalls(flash, flash.Attention, LaunchCount(hopperAt + 1));
            }
    return;
}
int matmulAt = Array.IndexOf(args, "--profile-matmul");
if (matmulAt >= 0)
{
    using var matmul = new RectifiedSpaAttn.Bench.Benchmarks.TensorCoreMatmulBenchmarks { Size = 8192, Element = "bf16", Stages = 3, TileN = 256, TileK = 64, Fragments = 2 };
    matmul.Setup();
    TimeRepeatedCalls(matmul, matmul.Multiply, LaunchCount(matmulAt + 1));
    return;
}
// --profile-wgmma [N] times, in one process, the fastest mma.sync matmul and the Hopper wgmma matmul (tile N 128 and
// 256) at 8192^3 bf16, N calls each after their fp64 checks.
int wgmmaAt = Array.IndexOf(args, "--profile-wgmma");
if (wgmmaAt >= 0)
{
    using (var matmul = new RectifiedSpaAttn.Bench.Benchmarks.TensorCoreMatmulBenchmarks { Size = 8192, Element = "bf16", Stages = 3, TileN = 256, TileK = 64, Fragments = 2 })
    {
        matmul.Setup();
        matmul.Multiply();
        Console.Write("// mma.sync matmul (128x256x64, 3 stages): ");
        TimeRepeatedCalls(matmul, matmul.Multiply, LaunchCount(wgmmaAt + 1));
    }
    foreach (int tileN in new[] { 128, 256 })
    {
        using var wgmma = new RectifiedSpaAttn.Bench.Benchmarks.WgmmaMatmulBenchmarks { Size = 8192, TileN = tileN };
        wgmma.Setup();
        wgmma.Multiply();
        Console.Write($"// wgmma matmul (128x{tileN}x64, 4 stages): ");
        TimeRepeatedCalls(wgmma, wgmma.Multiply, LaunchCount(wgmmaAt + 1));
    }
    return;
}
// --scaling [S,S,...] [METHOD] [N] times SequenceParallelAttention over 1, 2, 4, 8 GPUs (as many as there are) through
// NCCL at H 40, D 128: time per call, parallel efficiency and the exchanges' share (default S 75600,200000, rectified, 3).
int scalingAt = Array.IndexOf(args, "--scaling");
if (scalingAt >= 0)
{
    int[] lengths = scalingAt + 1 < args.Length && char.IsDigit(args[scalingAt + 1][0])
        ? [.. args[scalingAt + 1].Split(',').Select(int.Parse)] : [75600, 200000];
    string method = args.Skip(scalingAt + 1).FirstOrDefault(a => a is "dense" or "rectified") ?? "rectified";
    int calls = int.TryParse(args[^1], out int n) && args.Length > scalingAt + 2 ? n : 3;
    RectifiedSpaAttn.Bench.Benchmarks.SequenceParallelScaling.Run(lengths, heads: 40, headDim: 128,
        method == "dense" ? RectifiedSpaAttn.Attention.AttentionMethod.Dense : RectifiedSpaAttn.Attention.AttentionMethod.Rectified, calls);
    return;
}
string[] rest = args.Where(a => a != "--in-process").ToArray();

IConfig config = DefaultConfig.Instance.AddColumn(new ThroughputColumn());
if (inProcess)
    config = config.AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance)).WithOptions(ConfigOptions.DisableOptimizationsValidator);

BenchmarkSwitcher.FromAssembly(typeof(ThroughputColumn).Assembly).Run(rest, config);
DeviceAnchors.Print(Console.Out);

// The optional call count of a --profile-* option at args[at], 1 when absent.
int LaunchCount(int at) => at < args.Length && int.TryParse(args[at], out int n) ? n : 1;

static void TimeRepeatedCalls(IAttentionWorkload workload, Action call, int calls)
{
    var clock = System.Diagnostics.Stopwatch.StartNew();
    for (int i = 0; i < calls; i++) call();
    double ms = clock.Elapsed.TotalMilliseconds / calls;
    Console.WriteLine($"// {calls} calls: {ms:F3} ms each, {workload.Flops / ms / 1e9:F1} TFLOP/s");
}
