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
    int launches = flashAt + 3 < args.Length && int.TryParse(args[flashAt + 3], out int n) ? n : 1;
    using var flash = new RectifiedSpaAttn.Bench.Benchmarks.TensorCoreFlashBenchmarks { Config = args[flashAt + 1], Method = args[flashAt + 2] };
    flash.Setup();
    var clock = System.Diagnostics.Stopwatch.StartNew();
    for (int i = 0; i < launches; i++) flash.Attention();
    double ms = clock.Elapsed.TotalMilliseconds / launches;
    Console.WriteLine($"// {launches} calls: {ms:F3} ms each, {flash.Flops / ms / 1e9:F1} TFLOP/s");
    return;
}
int profileAt = Array.IndexOf(args, "--profile-matmul");
if (profileAt >= 0)
{
    int launches = profileAt + 1 < args.Length && int.TryParse(args[profileAt + 1], out int n) ? n : 1;
    using var matmul = new RectifiedSpaAttn.Bench.Benchmarks.TensorCoreMatmulBenchmarks { Size = 8192, Element = "bf16", Stages = 3, TileN = 256, TileK = 64, Fragments = 2 };
    matmul.Setup();
    var clock = System.Diagnostics.Stopwatch.StartNew();
    for (int i = 0; i < launches; i++) matmul.Multiply();
    double ms = clock.Elapsed.TotalMilliseconds / launches;
    Console.WriteLine($"// {launches} launches: {ms:F3} ms each, {matmul.Flops / ms / 1e9:F1} TFLOP/s");
    return;
}
string[] rest = args.Where(a => a != "--in-process").ToArray();

IConfig config = DefaultConfig.Instance.AddColumn(new ThroughputColumn());
if (inProcess)
    config = config.AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance)).WithOptions(ConfigOptions.DisableOptimizationsValidator);

BenchmarkSwitcher.FromAssembly(typeof(ThroughputColumn).Assembly).Run(rest, config);
DeviceAnchors.Print(Console.Out);
