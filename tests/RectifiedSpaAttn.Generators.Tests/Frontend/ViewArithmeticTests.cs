using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Compute.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Generators.Tests.Cpu;
using RectifiedSpaAttn.Generators.Tests.OpenCL;
using RectifiedSpaAttn.Generators.Tests.Ptx;

namespace RectifiedSpaAttn.Generators.Tests.Frontend;

/// <summary>
/// <c>SubView</c> and <c>Cast</c> inside kernels, on global and shared views, with constant and run-time starts:
/// the same C# kernel runs on the CPU backend and on OpenCL against a host model, and its PTX assembles.
/// </summary>
public class ViewArithmeticTests(ITestOutputHelper output)
{
    private const int Threads = 64, Start = 5, SourceLength = Start + Threads + 3;

    private const string Source = """
        static partial class K
        {
            [Kernel]
            static void Run(ArrayView<float> src, ArrayView<float> dst, ArrayView<uint> bits, ArrayView<int> lengths, int start)
            {
                int t = Group.IdxX;
                var window = src.SubView(start, 64);                 // global, run-time start
                var tile = SharedMemory.Allocate<float>(128);
                var upper = tile.SubView(64, 64);                    // shared, constant start
                upper[t] = window[t] * 2f;
                Group.Barrier();
                var mirror = tile.SubView(127 - t, 1);               // shared, run-time start
                dst[t] = mirror[0] + window.Length;
                var pair = bits.SubView(t * 2, 2);
                pair[0] = src.Cast<uint>()[start + t];               // global cast, same size
                var halves = tile.Cast<ushort>().SubView(128, 128);  // shared cast to a smaller type, then a sub-view
                pair[1] = halves[2 * t + 1];
                if (t == 0)
                {
                    lengths[0] = (int)src.Cast<ushort>().Length;
                    lengths[1] = (int)window.SubView(1, 6).Cast<ushort>().Length;
                    // A cast to a larger type of a sub-view at a byte offset that is a multiple of the new size.
                    lengths[2] = (int)src.Cast<ushort>().SubView(2, 4).Cast<uint>()[1];
                }
            }
        }
        """;

    private const string DynamicSource = """
        static partial class K
        {
            [Kernel]
            static void Run(ArrayView<float> src, ArrayView<uint> dst)
            {
                int t = Group.IdxX, n = Group.DimX;
                var upper = SharedMemory.GetDynamic<float>().SubView(n, n);      // dynamic shared, run-time start
                upper[n - 1 - t] = src[t];
                Group.Barrier();
                dst[t] = SharedMemory.GetDynamic<uint>().Cast<ushort>().SubView(2 * n, 2 * n)[2 * t + 1];
            }
        }
        """;

    /// <summary>Reverses src through the upper half of dynamic shared memory; each thread returns the high half of its float.</summary>
    private static void RunDynamicAndCheck(Accelerator accelerator, KernelVariant variant)
    {
        float[] input = Input();
        using DeviceBuffer<float> src = accelerator.Allocate<float>(Threads);
        using DeviceBuffer<uint> dst = accelerator.Allocate<uint>(Threads);
        src.CopyFrom(input.AsSpan(0, Threads));
        dst.Fill(0xDEADBEEFu);
        accelerator.Launch(variant, new LaunchDimensions(1, Threads, 2 * Threads * sizeof(float)),
            [KernelArgument.Buffer(src.View, ScalarType.Float32), KernelArgument.Buffer(dst.View, ScalarType.UInt32)]);
        uint[] got = dst.ToArray();
        for (int t = 0; t < Threads; t++)
            Assert.Equal(BitConverter.SingleToUInt32Bits(input[Threads - 1 - t]) >> 16, got[t]);
    }

    private IrKernel LowerDynamic()
    {
        IrKernel k = GeneratorHarness.Lower(DynamicSource, "Run").Single();
        output.WriteLine(IrPrinter.Print(k));
        Assert.True(k.UsesDynamicShared);
        return k;
    }

    [Fact]
    public void DynamicSharedViewsRunOnTheCpuBackend()
    {
        using var cpu = new CpuAccelerator();
        RunDynamicAndCheck(cpu, CpuKernelCompiler.Compile(LowerDynamic()));
    }

    [Fact]
    public void DynamicSharedViewsRunOnOpenCL()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        RunDynamicAndCheck(cl, OpenCLKernelRunner.Variant(LowerDynamic(), output));
    }

    [Fact]
    public void DynamicSharedViewsAssembleForPtx()
    {
        string ptx = PtxTestSupport.Compile(LowerDynamic(), output);
        PtxTestSupport.AssertInstruction(ptx, @"ld\.shared\.u16 %rs\d+, \[%r\d+\+\d+\]|ld\.shared\.u16 %rs\d+, \[%r\d+\]");
    }

    private IrKernel Lower()
    {
        IrKernel k = GeneratorHarness.Lower(Source, "Run").Single();
        output.WriteLine(IrPrinter.Print(k));
        return k;
    }

    private static float[] Input() => TestData.Floats(SourceLength, seed: 11);

    /// <summary>Launches one group and checks every output against what the host API's views mean.</summary>
    private static void RunAndCheck(Accelerator accelerator, KernelVariant variant)
    {
        float[] input = Input();
        using DeviceBuffer<float> src = accelerator.Allocate<float>(SourceLength), dst = accelerator.Allocate<float>(Threads);
        using DeviceBuffer<uint> bits = accelerator.Allocate<uint>(Threads * 2);
        using DeviceBuffer<int> lengths = accelerator.Allocate<int>(3);
        src.CopyFrom(input);
        accelerator.Launch(variant, new LaunchDimensions(1, Threads),
        [
            KernelArgument.Buffer(src.View, ScalarType.Float32), KernelArgument.Buffer(dst.View, ScalarType.Float32),
            KernelArgument.Buffer(bits.View, ScalarType.UInt32), KernelArgument.Buffer(lengths.View, ScalarType.Int32),
            KernelArgument.From(Start),
        ]);
        float[] d = dst.ToArray();
        uint[] b = bits.ToArray();
        for (int t = 0; t < Threads; t++)
        {
            float mirrored = input[Start + Threads - 1 - t] * 2f;
            Assert.Equal(mirrored + Threads, d[t]);
            Assert.Equal(BitConverter.SingleToUInt32Bits(input[Start + t]), b[2 * t]);
            Assert.Equal(BitConverter.SingleToUInt32Bits(input[Start + t] * 2f) >> 16, b[2 * t + 1]);
        }
        Assert.Equal([SourceLength * 2, 12, (int)BitConverter.SingleToUInt32Bits(input[2])], lengths.ToArray());
    }

    [Fact]
    public void RunsOnTheCpuBackend()
    {
        using var cpu = new CpuAccelerator();
        RunAndCheck(cpu, CpuKernelCompiler.Compile(Lower()));
    }

    [Fact]
    public void RunsOnOpenCL()
    {
        OpenCLAccelerator? cl = OpenCLTestDevice.RequireOrSkipOutsideCI(output);
        if (cl is null) return;
        RunAndCheck(cl, OpenCLKernelRunner.Variant(Lower(), output));
    }

    [Fact]
    public void PtxAssemblesAndAddressesSharedAndGlobalOffsets()
    {
        string ptx = PtxTestSupport.Compile(Lower(), output);
        // The run-time start of the global sub-view and of the shared mirror both reach an address computation.
        PtxTestSupport.AssertInstruction(ptx, @"add\.s64 %rd\d+, %rd\d+, %rd\d+");
        PtxTestSupport.AssertInstruction(ptx, @"add\.s32 %r\d+, %r\d+, %r\d+");
        // The shared cast reads 16-bit halves at byte 256 (the sub-view's start) plus 2 bytes (the odd half).
        PtxTestSupport.AssertInstruction(ptx, @"ld\.shared\.u16 %rs\d+, \[%r\d+\+258\]");
    }
}
