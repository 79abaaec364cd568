using System.Runtime.Intrinsics;
using FsCheck;
using FsCheck.Fluent;
using RectifiedSpaAttn.Kernels.CpuNative;

namespace RectifiedSpaAttn.Tests.Kernels.CpuNative;

/// <summary>The softmax's vector <c>e^x</c> (<see cref="FastExp"/>) at every width, against <see cref="Math.Exp"/>.</summary>
public sealed class FastExpTests
{
    [Fact]
    public void IsWithinAFewUlpOnTheSoftmaxDomain()
    {
        // The softmax evaluates x = logit - running max <= 0; above e^-87 the result must be a normal float within 4e-7
        // relative (a few ulp) at all three widths, and identical across them.
        Prop.ForAll(Gen.Choose(0, int.MaxValue).Select(s => new Random(s).NextDouble() * -87).ToArbitrary(), xd =>
        {
            float x = (float)xd;
            double exact = Math.Exp(x);
            float[] got = [Simd512.Exp(Vector512.Create(x))[3], Simd256.Exp(Vector256.Create(x))[5], Simd128.Exp(Vector128.Create(x))[1]];
            return got.All(g => Math.Abs(g - exact) <= 4e-7 * exact && g == got[0]);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true));
    }

    [Fact]
    public void FlushesToExactZeroFarBelowAndAtMinusInfinity()
    {
        foreach (float x in new[] { float.NegativeInfinity, -1e30f, -200f, -88f })
        {
            Assert.Equal(0f, Simd512.Exp(Vector512.Create(x))[0]);
            Assert.Equal(0f, Simd256.Exp(Vector256.Create(x))[0]);
            Assert.Equal(0f, Simd128.Exp(Vector128.Create(x))[0]);
        }
        Assert.Equal(1f, Simd512.Exp(Vector512<float>.Zero)[0]);
    }
}
