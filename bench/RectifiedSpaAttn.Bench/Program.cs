using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using RectifiedSpaAttn.Bench.Anchors;
using RectifiedSpaAttn.Bench.Columns;

// --in-process runs benchmarks inside this process: the GPU machine has a .NET runtime but no SDK to build
// BenchmarkDotNet's usual child projects.
bool inProcess = args.Contains("--in-process");
string[] rest = args.Where(a => a != "--in-process").ToArray();

IConfig config = DefaultConfig.Instance.AddColumn(new ThroughputColumn());
if (inProcess)
    config = config.AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance)).WithOptions(ConfigOptions.DisableOptimizationsValidator);

BenchmarkSwitcher.FromAssembly(typeof(ThroughputColumn).Assembly).Run(rest, config);
DeviceAnchors.Print(Console.Out);
