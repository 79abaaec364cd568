using RectifiedSpaAttn.Generators.Backends.OpenCL;
using RectifiedSpaAttn.Generators.Ir;
using static RectifiedSpaAttn.Generators.Tests.X;

namespace RectifiedSpaAttn.Generators.Tests.OpenCL;

/// <summary>What keeps a kernel off OpenCL, and what the program around the kernel contains (no device needed).</summary>
public sealed class UnsupportedReasonTests
{
    private static IrKernel WithShared(int floats, bool shuffle, IrType shuffleType = IrType.F32)
    {
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.F32);
        IrSharedAllocation s = b.Shared(IrType.F32, floats);
        IrLocal v = b.Local("v", shuffleType);
        var body = new List<IrStmt> { Store(View(s), I32(0), F32(1)), Store(View(o), I32(0), Load(View(s), I32(0))) };
        if (shuffle) body.Add(new IrShuffle(IrShuffleKind.Xor, v, shuffleType == IrType.F32 ? F32(1) : I64(1), I32(1)));
        return b.Build("k", [.. body]);
    }

    [Fact]
    public void FortySixKiBOfSharedFitsAloneButNotWithTheWarpScratch()
    {
        Assert.Null(OpenCLBackend.UnsupportedReason(WithShared(46 * 256, shuffle: false)));
        string? reason = OpenCLBackend.UnsupportedReason(WithShared(46 * 256, shuffle: true));
        Assert.NotNull(reason);
        Assert.Contains("local memory", reason);
        Assert.Null(OpenCLBackend.UnsupportedReason(WithShared(40 * 256, shuffle: true)));
    }

    [Fact]
    public void A64BitShuffleOrAtomicIsUnsupported()
    {
        Assert.Contains("shuffle of I64", OpenCLBackend.UnsupportedReason(WithShared(4, shuffle: true, IrType.I64)));
        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.I64);
        IrKernel k = b.Build("k", new IrAtomic(IrAtomicOp.Add, null, View(o), I32(0), I64(1), null));
        Assert.Contains("atomic Add on I64", OpenCLBackend.UnsupportedReason(k));
    }

    [Fact]
    public void TheFp64PragmaAndWarpHelpersAppearOnlyWhenUsed()
    {
        string plain = OpenCLBackend.Emit(WithShared(4, shuffle: false));
        Assert.DoesNotContain("cl_khr_fp64", plain);
        Assert.DoesNotContain("rsa_shuffle", plain);
        Assert.DoesNotContain("group-uniform", plain);
        string warp = OpenCLBackend.Emit(WithShared(4, shuffle: true));
        Assert.Contains("rsa_shuffle(rsa_xchg", warp);
        Assert.Contains("group-uniform", warp); // the header states the emulation's requirement

        var b = new IrBuilder();
        IrParam o = b.Buffer("o", IrType.F64);
        string f64 = OpenCLBackend.Emit(b.Build("k", Store(View(o), I32(0), F64(0.5))));
        Assert.StartsWith("#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n#pragma OPENCL FP_CONTRACT OFF", f64.Substring(f64.IndexOf("*/", StringComparison.Ordinal) + 3));
    }

    [Fact]
    public void ParameterNamesThatOpenCLReservesAreRenamed()
    {
        var b = new IrBuilder();
        IrParam half = b.Scalar("half", IrType.F32), global = b.Buffer("global", IrType.F32);
        string text = OpenCLBackend.Emit(b.Build("k", Store(View(global), I32(0), Arg(half))));
        Assert.Contains("float arg_half", text);
        Assert.Contains("__global float* arg_global_base", text);
    }
}
