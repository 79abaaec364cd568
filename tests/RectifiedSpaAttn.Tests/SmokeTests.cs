using RectifiedSpaAttn.Numerics;
namespace RectifiedSpaAttn.Tests;
public class SmokeTests { [Fact] public void BFloat16RoundTripsOne() => Assert.Equal(1f, BFloat16.FromSingle(1f).ToSingle()); }
