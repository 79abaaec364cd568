using RectifiedSpaAttn.Tests.TestSupport;
using Microsoft.CodeAnalysis;
using RectifiedSpaAttn.Generators.Backends.Ptx;
using RectifiedSpaAttn.Generators.Ir;
using RectifiedSpaAttn.Generators.Tests.Frontend;
using static RectifiedSpaAttn.Generators.Tests.Ptx.PtxTestSupport;

namespace RectifiedSpaAttn.Generators.Tests.Hopper;

/// <summary>
/// Hopper kernels: the sm_90a module's header and the PTX of each intrinsic, assembled by ptxas 12.4 (ptxas 11.8 cannot
/// target sm_90a), and the wgmma kernel's SASS, which must hold HGMMA; plus the RSA0013 diagnostic.
/// </summary>
public class HopperPtxTests(ITestOutputHelper output)
{
    /// <summary>One kernel using every Hopper intrinsic once, shaped like a pipeline stage (not meant to run).</summary>
    private const string EveryIntrinsic = """
        static partial class K
        {
            [Kernel]
            [RequiresHopper]
            static void Run(TensorMap map2, TensorMap map3, ArrayView<float> output, int parity)
            {
                KernelHint.LaunchBounds(256, 1);
                ArrayView<BFloat16> tiles = SharedMemory.GetDynamic<BFloat16>();
                ArrayView<ulong> bars = SharedMemory.GetDynamic<ulong>();
                if (Group.IdxX == 0) { Mbarrier.Init(bars, 4096, 1); BulkTensor.FenceProxyAsync(); }
                Group.Barrier();
                if (Warpgroup.Index == 0)
                {
                    Warpgroup.DecreaseRegisters(40);
                    bool leader = HopperWarp.ElectOne();
                    if (Warp.WarpIdx == 0 && leader)
                    {
                        Mbarrier.ArriveExpectTransaction(bars, 4096, 32768);
                        BulkTensor.Load2D(tiles, 0, map2, 0, Grid.IdxX * 128, bars, 4096);
                        BulkTensor.Load3D(tiles, 8192, map3, 0, 0, Grid.IdxX, bars, 4096);
                    }
                }
                else
                {
                    Warpgroup.IncreaseRegisters(232);
                    Mbarrier.Wait(bars, 4096, parity);
                    Span<float> acc = stackalloc float[64];
                    Warpgroup.Fence();
                    Warpgroup.MmaAsync(acc, tiles, 0, tiles, 8192, false);
                    Warpgroup.MmaAsync(acc, Packed.PackBFloat16(1f, 2f), 0u, 0u, 0u, tiles, 8208, true);
                    Warpgroup.CommitGroup();
                    Warpgroup.WaitGroup(0);
                    Mbarrier.Arrive(bars, 4096);
                    HopperWarp.StoreMatrixX4(tiles, 16384 + Warp.LaneIdx * 8, 1u, 2u, 3u, 4u);
                    for (int i = 0; i < 64; i++) output[Warpgroup.ThreadIndex * 64 + i] = acc[i];
                }
            }
        }
        """;

    private string Ptx()
    {
        IrKernel kernel = Assert.Single(GeneratorHarness.Lower(EveryIntrinsic, "Run"));
        Assert.True(kernel.RequiresHopper);
        string ptx = PtxBackend.Emit(kernel);
        output.WriteLine(ptx);
        return ptx;
    }

    [Fact]
    public void AHopperKernelIsAnSm90aModuleWithEveryIntrinsicInItsPtxForm()
    {
        string ptx = Ptx();
        Assert.Contains(".version 8.0\n.target sm_90a\n", ptx);
        Assert.Contains(".extern .shared .align 1024 .b8 dyn_smem[];", ptx);
        Assert.Contains(".param .align 64 .b8 map2[128]", ptx);
        AssertInstruction(ptx, @"^mbarrier\.init\.shared::cta\.b64 \[%r\d+\+32768\], 1$");
        AssertInstruction(ptx, @"^fence\.proxy\.async\.shared::cta$");
        AssertInstruction(ptx, @"^setmaxnreg\.dec\.sync\.aligned\.u32 40$");
        AssertInstruction(ptx, @"^setmaxnreg\.inc\.sync\.aligned\.u32 232$");
        AssertInstruction(ptx, @"^elect\.sync %r\d+\|%p\d+, -1$");
        AssertInstruction(ptx, @"^mbarrier\.arrive\.expect_tx\.shared::cta\.b64 %rd\d+, \[%r\d+\+32768\], 32768$");
        AssertInstruction(ptx, @"^cp\.async\.bulk\.tensor\.2d\.shared::cluster\.global\.tile\.mbarrier::complete_tx::bytes \[%r\d+\], \[%rd\d+, \{%r\d+, %r\d+\}\], \[%r\d+\+32768\]$");
        AssertInstruction(ptx, @"^cp\.async\.bulk\.tensor\.3d\..* \[%r\d+(\+\d+)?\], \[%rd\d+, \{%r\d+, %r\d+, %r\d+\}\], \[%r\d+\+32768\]");
        AssertInstruction(ptx, @"^mbarrier\.try_wait\.parity\.shared::cta\.b64 %p\d+, \[%r\d+\+32768\], %r\d+$");
        AssertInstruction(ptx, @"^wgmma\.fence\.sync\.aligned$");
        AssertInstruction(ptx, @"^wgmma\.mma_async\.sync\.aligned\.m64n128k16\.f32\.bf16\.bf16 \{(%f\d+, ){63}%f\d+\}, %rd\d+, %rd\d+, %p\d+, 1, 1, 0, 0$");
        AssertInstruction(ptx, @"^wgmma\.mma_async\.sync\.aligned\.m64n128k16\.f32\.bf16\.bf16 \{(%f\d+, ){63}%f\d+\}, \{%r\d+, %r\d+, %r\d+, %r\d+\}, %rd\d+, %p\d+, 1, 1, 0$");
        AssertInstruction(ptx, @"^wgmma\.commit_group\.sync\.aligned$");
        AssertInstruction(ptx, @"^wgmma\.wait_group\.sync\.aligned 0$");
        AssertInstruction(ptx, @"^stmatrix\.sync\.aligned\.m8n8\.x4\.shared\.b16 \[%r\d+(\+\d+)?\], \{%r\d+, %r\d+, %r\d+, %r\d+\}$");
        // The descriptor: the low word is the start address >> 4 (bits 0-13) with LBO 1 (bit 16), the high word SBO 1024 B
        // and the 128-byte swizzle (0x40000040). Operands at the view's base plus 8192 and 8208 elements (16384 and
        // 16416 bytes) are the base's descriptor plus 1024 and 1026.
        AssertInstruction(ptx, @"^or\.b32 %r\d+, %r\d+, 65536$");
        AssertInstruction(ptx, @"^mov\.b32 %r\d+, 1073741888$");
        AssertInstruction(ptx, @"^mov\.b64 %rd\d+, \{%r\d+, %r\d+\}$");
        AssertInstruction(ptx, @"^add\.s32 %r\d+, %r\d+, 1024$");
        AssertInstruction(ptx, @"^add\.s32 %r\d+, %r\d+, 1026$");
    }

    [Fact]
    public void Ptxas124AssemblesTheSm90aModuleAndItsSassHoldsHgmma()
    {
        string ptx = Ptx();
        string sass = HopperTools.Run(ptx, "every_intrinsic", output);
        Assert.Contains("HGMMA.64x128x16.F32.BF16", sass);
        Assert.Contains("UTMALDG.2D", sass);
        Assert.Contains("UTMALDG.3D", sass);
        Assert.Contains("SYNCS", sass); // mbarrier operations
    }

    [Fact]
    public void AHopperIntrinsicInAKernelWithoutRequiresHopperIsRSA0013()
    {
        var (diagnostics, _) = GeneratorHarness.Run("""
            static partial class K
            {
                [Kernel]
                static void Run(ArrayView<float> x) { Warpgroup.Fence(); x[0] = 1; }
            }
            """);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("RSA0013", d.Id);
        Assert.Contains("Warpgroup.Fence", d.GetMessage());
        Assert.Contains("[RequiresHopper]", d.GetMessage());
    }

    [Fact]
    public void APortableKernelKeepsTheSm80Module()
    {
        IrKernel kernel = Assert.Single(GeneratorHarness.Lower("""
            static partial class K { [Kernel] static void Run(ArrayView<float> x) { x[0] = BulkTensor.Swizzle128(x.Length > 0 ? 300 : 0); } }
            """, "Run"));
        Assert.False(kernel.RequiresHopper);
        Assert.Null(HopperRequirement.Of(kernel));
        Assert.Contains(".version 7.8\n.target sm_80\n", PtxBackend.Emit(kernel));
    }
}

/// <summary>ptxas, cuobjdump and nvdisasm 12.4 (.ci/install-cuda-tools-12.sh puts them in /usr/local/cuda-tools-12/bin; PTXAS12 overrides).</summary>
internal static class HopperTools
{
    public static string Directory => Environment.GetEnvironmentVariable("CUDA_TOOLS_12") ?? "/usr/local/cuda-tools-12/bin";

    /// <summary>Assembles <paramref name="ptx"/> for sm_90a (failing on errors and spills) and returns its SASS; the test is skipped (failed in CI) where the tools are missing.</summary>
    public static string Run(string ptx, string name, ITestOutputHelper output)
    {
        string ptxas = Path.Combine(Directory, "ptxas"), cuobjdump = Path.Combine(Directory, "cuobjdump");
        if (!File.Exists(ptxas) || !File.Exists(cuobjdump))
            MissingTool.RequiredInCI($"ptxas/cuobjdump 12.4 are missing from {Directory}: the sm_90a module was not assembled. Install them with .ci/install-cuda-tools-12.sh.");
        string dir = System.IO.Directory.CreateTempSubdirectory("rsa-sm90a-").FullName;
        try
        {
            string file = Path.Combine(dir, name + ".ptx"), cubin = Path.Combine(dir, name + ".cubin");
            File.WriteAllText(file, ptx);
            (int code, string log) = Ptx.PtxAssembler.Run(ptxas, $"-arch=sm_90a -v \"{file}\" -o \"{cubin}\"");
            output.WriteLine(log);
            Assert.True(code == 0 && !log.Contains("error", StringComparison.OrdinalIgnoreCase), $"ptxas -arch=sm_90a rejected the module:\n{log}");
            Assert.DoesNotContain("bytes spill stores", log.Replace("0 bytes spill stores", ""));
            (code, string sass) = Ptx.PtxAssembler.Run(cuobjdump, $"-sass \"{cubin}\"");
            Assert.True(code == 0, "cuobjdump failed:\n" + sass);
            return sass;
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }
}
