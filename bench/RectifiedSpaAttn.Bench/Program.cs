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
int matmulAt = Array.IndexOf(args, "--profile-matmul");
if (matmulAt >= 0)
{
    using var matmul = new RectifiedSpaAttn.Bench.Benchmarks.TensorCoreMatmulBenchmarks { Size = 8192, Element = "bf16", Stages = 3, TileN = 256, TileK = 64, Fragments = 2 };
    matmul.Setup();
    TimeRepeatedCalls(matmul, matmul.Multiply, LaunchCount(matmulAt + 1));
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
