using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Reference;

/// <summary>Checks q, k, v for the public entry points and converts them to fp64 once.</summary>
internal static class AttentionInputs
{
    /// <summary>
    /// Returns fp64 copies of <paramref name="q"/>, <paramref name="k"/>, <paramref name="v"/> after checking that they are
    /// rank-4 <c>[B, H, S, D]</c> tensors of a floating-point type, of one shape, with no extent zero, and finite.
    /// </summary>
    /// <exception cref="ArgumentNullException">An input is null.</exception>
    /// <exception cref="ArgumentException">Wrong rank, element type or shapes, or a NaN/infinity (the message says where).</exception>
    public static (HostTensor<double> Q, HostTensor<double> K, HostTensor<double> V) ToDouble(HostTensor q, HostTensor k, HostTensor v)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        foreach (var (tensor, name) in new[] { (q, nameof(q)), (k, nameof(k)), (v, nameof(v)) })
        {
            if (tensor.ElementType is not (ElementType.BFloat16 or ElementType.Float16 or ElementType.Float32 or ElementType.Float64))
                throw new ArgumentException($"{name} has element type {tensor.ElementType}; attention takes BFloat16, Float16, Float32 or Float64.", name);
            if (tensor.Rank != 4)
                throw new ArgumentException($"{name} must have rank 4 ([B, H, S, D]), got shape {tensor.ShapeText}.", name);
            for (int d = 0; d < 4; d++)
                if (tensor.Shape[d] == 0)
                    throw new ArgumentException($"{name} has an empty dimension: shape {tensor.ShapeText} ([B, H, S, D], all at least 1).", name);
        }
        if (!k.Shape.SequenceEqual(q.Shape) || !v.Shape.SequenceEqual(q.Shape))
            throw new ArgumentException($"q, k and v must have the same shape; got q {q.ShapeText}, k {k.ShapeText}, v {v.ShapeText}.");

        HostTensor<double> qd = q.ToDouble(), kd = k.ToDouble(), vd = v.ToDouble();
        RequireFinite(qd, nameof(q));
        RequireFinite(kd, nameof(k));
        RequireFinite(vd, nameof(v));
        return (qd, kd, vd);
    }

    private static void RequireFinite(HostTensor<double> tensor, string name)
    {
        ReadOnlySpan<double> data = tensor.Span;
        for (int n = 0; n < data.Length; n++)
        {
            if (double.IsFinite(data[n])) continue;
            int dim = tensor.Shape[3], seq = tensor.Shape[2], heads = tensor.Shape[1];
            int d = n % dim, s = n / dim % seq, h = n / dim / seq % heads, b = n / dim / seq / heads;
            throw new ArgumentException($"{name} contains {data[n]} at [{b}, {h}, {s}, {d}] (index [b, h, s, d]); inputs must be finite.", name);
        }
    }
}
