using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cpu;
using RectifiedSpaAttn.Kernels.Corpus;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Tests.Compiler;

/// <summary>What the generator built for the corpus: the catalog, variant selection, and where OpenCL cannot go.</summary>
public sealed class CorpusCatalogTests
{
    /// <summary>Every corpus kernel and how many variants its [Specialize] attributes ask for.</summary>
    private static readonly Dictionary<string, int> s_corpus = new()
    {
        ["ElementwiseKernels.Saxpy"] = 1,
        ["ElementwiseKernels.Scale"] = 3,
        ["ElementwiseKernels.PackPairs"] = 1,
        ["ElementwiseKernels.VectorDouble"] = 1,
        ["ReductionKernels.GroupPartialSums"] = 1,
        ["ReductionKernels.SumAtomic"] = 1,
        ["WarpReductionKernels.RowSums"] = 1,
        ["WarpReductionKernels.RowMaxAndCenter"] = 1,
        ["WarpReductionKernels.SegmentPrefixSums"] = 1,
        ["TiledMatmulKernels.Matmul"] = 2,
        ["TensorCoreMatmulKernels.Matmul"] = 32,
        ["CompactTensorCoreMatmulKernels.Matmul"] = 2,
        ["SoftmaxKernels.RowSoftmax"] = 3,
        ["StructParameterKernels.Affine"] = 1,
        ["NamedBarrierKernels.TakeTurns"] = 1,
    };

    /// <summary>
    /// Corpus variants OpenCL cannot run, by display name. Otherwise the corpus stays inside what the OpenCL backend
    /// emulates (shared memory within 48 KiB, float atomics, int/uint/float shuffles, tensor-core ops).
    /// </summary>
    // The fast tensor-core matmul unrolls 256 mma sites: too many to emulate on OpenCL (see OpenCLKernelFacts).
    // CompactTensorCoreMatmulKernels.Matmul is the tensor-core matmul OpenCL does run, and must never appear here.
    // OpenCL C has no named barriers.
    private static readonly HashSet<string> s_notOnOpenCL =
    [
        "NamedBarrierKernels.TakeTurns",
        "TensorCoreMatmulKernels.Matmul[T=half, stages=3, tileN=128, tileK=32, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=half, stages=3, tileN=128, tileK=32, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=half, stages=3, tileN=128, tileK=64, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=half, stages=3, tileN=128, tileK=64, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=half, stages=3, tileN=256, tileK=32, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=half, stages=3, tileN=256, tileK=32, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=half, stages=3, tileN=256, tileK=64, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=half, stages=3, tileN=256, tileK=64, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=half, stages=4, tileN=128, tileK=32, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=half, stages=4, tileN=128, tileK=32, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=half, stages=4, tileN=128, tileK=64, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=half, stages=4, tileN=128, tileK=64, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=half, stages=4, tileN=256, tileK=32, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=half, stages=4, tileN=256, tileK=32, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=half, stages=4, tileN=256, tileK=64, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=half, stages=4, tileN=256, tileK=64, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=3, tileN=128, tileK=32, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=3, tileN=128, tileK=32, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=3, tileN=128, tileK=64, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=3, tileN=128, tileK=64, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=3, tileN=256, tileK=32, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=3, tileN=256, tileK=32, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=3, tileN=256, tileK=64, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=3, tileN=256, tileK=64, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=4, tileN=128, tileK=32, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=4, tileN=128, tileK=32, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=4, tileN=128, tileK=64, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=4, tileN=128, tileK=64, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=4, tileN=256, tileK=32, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=4, tileN=256, tileK=32, fragments=2]",
        "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=4, tileN=256, tileK=64, fragments=1]", "TensorCoreMatmulKernels.Matmul[T=bfloat16, stages=4, tileN=256, tileK=64, fragments=2]",
    ];

    [Fact]
    public void TheCatalogListsEveryCorpusVariantOnceWithAllThreeForms()
    {
        IReadOnlyList<KernelVariant> all = CorpusCatalog.Variants;
        foreach (var (kernel, count) in s_corpus)
            Assert.True(count == all.Count(v => v.KernelName == kernel), $"{kernel}: {all.Count(v => v.KernelName == kernel)} variants in the catalog, expected {count}");
        var corpus = all.Where(v => s_corpus.ContainsKey(v.KernelName)).ToList();
        Assert.Equal(corpus.Count, corpus.Select(v => v.EntryPoint).Distinct().Count());
        foreach (KernelVariant v in corpus)
        {
            Assert.False(string.IsNullOrWhiteSpace(v.Ptx), $"{v.DisplayName}: no PTX");
            Assert.Contains(v.EntryPoint, v.Ptx);
            if (v.OpenCLUnsupportedReason is null)
            {
                Assert.False(string.IsNullOrWhiteSpace(v.OpenCL), $"{v.DisplayName}: no OpenCL C");
                Assert.Contains(v.EntryPoint, v.OpenCL);
            }
            else
            {
                Assert.Empty(v.OpenCL);
            }
            Assert.NotNull(v.Cpu);
        }
    }

    [Fact]
    public void OpenCLRefusesExactlyTheExpectedCorpusVariants()
    {
        var refused = CorpusCatalog.Variants
            .Where(v => s_corpus.ContainsKey(v.KernelName) && v.OpenCLUnsupportedReason is not null)
            .Select(v => v.DisplayName + ": " + v.OpenCLUnsupportedReason)
            .ToList();
        var unexpected = refused.Where(r => !s_notOnOpenCL.Any(n => r.StartsWith(n + ": ", StringComparison.Ordinal))).ToList();
        Assert.True(unexpected.Count == 0, "OpenCL unexpectedly refuses: " + string.Join("; ", unexpected));
        Assert.Equal(s_notOnOpenCL.Count, refused.Count);
    }

    [Fact]
    public void TheCompactTensorCoreMatmulIsBuiltForOpenCL()
    {
        // The corpus's only tensor-core matmul OpenCL runs: both element types must stay within what it emulates.
        var variants = CorpusCatalog.Variants.Where(v => v.KernelName == "CompactTensorCoreMatmulKernels.Matmul").ToList();
        Assert.Equal(2, variants.Count);
        foreach (KernelVariant v in variants)
            Assert.True(v.OpenCLUnsupportedReason is null, $"{v.DisplayName} does not run on OpenCL: {v.OpenCLUnsupportedReason}");
        Assert.DoesNotContain(s_notOnOpenCL, n => n.StartsWith("CompactTensorCoreMatmulKernels.", StringComparison.Ordinal));
    }

    [Fact]
    public void AskingForAConstantThatWasNotBuiltListsTheBuiltVariants()
    {
        var e = Assert.Throws<ArgumentException>(() => TiledMatmulKernels.MatmulKernel.GetVariant(64));
        Assert.Contains("tile=64", e.Message);
        Assert.Contains("TiledMatmulKernels.Matmul[tile=16]", e.Message);
        Assert.Contains("TiledMatmulKernels.Matmul[tile=32]", e.Message);
    }

    [Fact]
    public void LaunchingATypeThatWasNotBuiltThrowsBeforeTouchingTheDevice()
    {
        using var cpu = new CpuAccelerator();
        using DeviceBuffer<float> a = cpu.Allocate<float>(1), c = cpu.Allocate<float>(1);
        var e = Assert.Throws<ArgumentException>(() => TensorCoreMatmulKernels.MatmulKernel.Launch<float>(
            cpu, new LaunchDimensions(1, TensorCoreMatmulKernels.GroupSize(256)), a.View, a.View, c.View, 128, 256, 32, 1, 3, 256, 32, 2));
        Assert.Contains("T=Single", e.Message);
        foreach (string built in new[] { "[T=half, stages=3, tileN=256, tileK=32, fragments=2]", "[T=half, stages=4, tileN=128, tileK=64, fragments=1]", "[T=bfloat16, stages=3, tileN=128, tileK=32, fragments=2]", "[T=bfloat16, stages=4, tileN=256, tileK=64, fragments=1]" })
            Assert.Contains("TensorCoreMatmulKernels.Matmul" + built, e.Message);
        Assert.Throws<ArgumentException>(() => SoftmaxKernels.RowSoftmaxKernel.GetVariant(typeof(double)));
        Assert.Equal("float", SoftmaxKernels.RowSoftmaxKernel.GetVariant(typeof(float)).Specialization["T"]);
        Assert.Equal("bfloat16", SoftmaxKernels.RowSoftmaxKernel.GetVariant(typeof(BFloat16)).Specialization["T"]);
    }
}
