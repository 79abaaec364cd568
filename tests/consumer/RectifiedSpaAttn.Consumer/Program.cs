using MyApp;
using RectifiedSpaAttn;
using RectifiedSpaAttn.Attention;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Reference;
using RectifiedSpaAttn.Tensors;

// Runs the user kernels of MyKernels and a Rectified SpaAttn call on the CPU accelerator and on every OpenCL device,
// checking each against a host computation on fresh random inputs. Prints one line per check; exits 1 on a mismatch.
bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
int passed = 0, failed = 0;
var random = new Random();

using Context context = Context.Create();
var devices = context.Devices.Where(d => d.Kind is AcceleratorKind.Cpu or AcceleratorKind.OpenCL or AcceleratorKind.Cuda).ToList();
if (!devices.Any(d => d.Kind == AcceleratorKind.OpenCL))
{
    Console.WriteLine($"no OpenCL device: {Context.OpenCLUnavailableReason}");
    if (ci) failed++; // CI installs pocl: a missing OpenCL device there is a failure, not a skip
}

foreach (AcceleratorInfo device in devices)
{
    using Accelerator accelerator = context.CreateAccelerator(device);
    Check(accelerator, "saxpy (global memory)", () => Saxpy(accelerator));
    Check(accelerator, "group sums (shared memory, barrier)", () => GroupSums(accelerator));
    Check(accelerator, "warp sums (warp collective)", () => WarpSums(accelerator));
    Check(accelerator, "rectified attention", () => RectifiedAttention(accelerator));
}

Console.WriteLine($"consumer program: {passed} passed, {failed} failed");
return failed == 0 ? 0 : 1;

void Check(Accelerator accelerator, string name, Func<double> run)
{
    try
    {
        double error = run();
        bool ok = error <= 1e-4;
        if (ok) passed++; else failed++;
        Console.WriteLine($"{(ok ? "PASS" : "FAIL")} {accelerator.Kind,-6} {name}: relative L2 error {error:E2}");
    }
    catch (Exception e)
    {
        failed++;
        Console.WriteLine($"FAIL {accelerator.Kind,-6} {name}: {e.GetType().Name}: {e.Message}");
    }
}

float[] RandomFloats(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

double Saxpy(Accelerator accelerator)
{
    int n = random.Next(1000, 5000);
    float[] x = RandomFloats(n), y = RandomFloats(n);
    using DeviceBuffer<float> dx = accelerator.Allocate<float>(n), dy = accelerator.Allocate<float>(n);
    dx.CopyFrom(x);
    dy.CopyFrom(y);
    int groups = (n + MyKernels.GroupSize - 1) / MyKernels.GroupSize;
    MyKernels.SaxpyKernel.Launch(accelerator, new LaunchDimensions(groups, MyKernels.GroupSize), dx.View, dy.View, 2f, n);
    return RelativeError(dy.ToArray(), x.Select((xi, i) => 2.0 * xi + y[i]).ToArray());
}

double GroupSums(Accelerator accelerator)
{
    int n = random.Next(1000, 5000);
    int groups = (n + MyKernels.GroupSize - 1) / MyKernels.GroupSize;
    float[] input = RandomFloats(n);
    using DeviceBuffer<float> din = accelerator.Allocate<float>(n), sums = accelerator.Allocate<float>(groups);
    din.CopyFrom(input);
    sums.Fill(float.NaN); // poisoned: a sum the kernel does not write shows
    MyKernels.GroupSumsKernel.Launch(accelerator, new LaunchDimensions(groups, MyKernels.GroupSize), din.View, sums.View, n);
    double[] expected = Enumerable.Range(0, groups)
        .Select(g => input.Skip(g * MyKernels.GroupSize).Take(MyKernels.GroupSize).Sum(v => (double)v)).ToArray();
    return RelativeError(sums.ToArray(), expected);
}

double WarpSums(Accelerator accelerator)
{
    int n = random.Next(1000, 5000);
    int groups = (n + MyKernels.GroupSize - 1) / MyKernels.GroupSize;
    int warps = groups * MyKernels.GroupSize / 32;
    float[] input = RandomFloats(n);
    using DeviceBuffer<float> din = accelerator.Allocate<float>(n), sums = accelerator.Allocate<float>(warps);
    din.CopyFrom(input);
    sums.Fill(float.NaN);
    MyKernels.WarpSumsKernel.Launch(accelerator, new LaunchDimensions(groups, MyKernels.GroupSize), din.View, sums.View, n);
    double[] expected = Enumerable.Range(0, warps).Select(w => input.Skip(w * 32).Take(32).Sum(v => (double)v)).ToArray();
    return RelativeError(sums.ToArray(), expected);
}

double RectifiedAttention(Accelerator accelerator)
{
    const int heads = 2, tokens = 512, headDim = 64;
    int[] shape = [1, heads, tokens, headDim];
    var q = new HostTensor<float>(RandomFloats(heads * tokens * headDim), shape);
    var k = new HostTensor<float>(RandomFloats(heads * tokens * headDim), shape);
    var v = new HostTensor<float>(RandomFloats(heads * tokens * headDim), shape);
    var options = new RectifiedSpaAttnOptions { DropRate = 0.5 };
    using var dq = DeviceTensor<float>.Upload(accelerator, q);
    using var dk = DeviceTensor<float>.Upload(accelerator, k);
    using var dv = DeviceTensor<float>.Upload(accelerator, v);
    using AttentionResult<float> result = AttentionOperations.Rectified(dq, dk, dv, options);
    ReferenceResult exact = ExactReference.Rectified(q, k, v, options); // the exact fp64 algorithm, on the host
    return RelativeError(result.Output.ToHost().Data, exact.Output.Data);
}

static double RelativeError(float[] actual, double[] expected)
{
    if (actual.Length != expected.Length) throw new InvalidOperationException($"{actual.Length} results, expected {expected.Length}");
    double difference = 0, norm = 0;
    for (int i = 0; i < actual.Length; i++)
    {
        if (!float.IsFinite(actual[i])) return double.PositiveInfinity; // unwritten (poisoned) or broken
        difference += (actual[i] - expected[i]) * (actual[i] - expected[i]);
        norm += expected[i] * expected[i];
    }
    return Math.Sqrt(difference / Math.Max(norm, double.Epsilon));
}
