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
            RequireRank4(tensor.Shape, tensor.ShapeText, name);
        }
        RequireSameShape(q.Shape, k.Shape, v.Shape, q.ShapeText, k.ShapeText, v.ShapeText);

        HostTensor<double> qd = q.ToDouble(), kd = k.ToDouble(), vd = v.ToDouble();
        FiniteCheck.Require<double>(qd.Span, qd.Shape, nameof(q));
        FiniteCheck.Require<double>(kd.Span, kd.Shape, nameof(k));
        FiniteCheck.Require<double>(vd.Span, vd.Shape, nameof(v));
        return (qd, kd, vd);
    }

    /// <summary>
    /// Throws unless <paramref name="shape"/> is <c>[B, H, S, D]</c> with every extent at least 1. Host and device
    /// attention inputs are checked by this one rule, so their messages agree.
    /// </summary>
    internal static void RequireRank4(ReadOnlySpan<int> shape, string shapeText, string name)
    {
        if (shape.Length != 4)
            throw new ArgumentException($"{name} must have rank 4 ([B, H, S, D]), got shape {shapeText}.", name);
        for (int d = 0; d < 4; d++)
            if (shape[d] == 0)
                throw new ArgumentException($"{name} has an empty dimension: shape {shapeText} ([B, H, S, D], all at least 1).", name);
    }

    /// <summary>Throws unless q, k and v have one shape.</summary>
    internal static void RequireSameShape(ReadOnlySpan<int> q, ReadOnlySpan<int> k, ReadOnlySpan<int> v, string qText, string kText, string vText)
    {
        if (!k.SequenceEqual(q) || !v.SequenceEqual(q))
            throw new ArgumentException($"q, k and v must have the same shape; got q {qText}, k {kText}, v {vText}.");
    }
}
