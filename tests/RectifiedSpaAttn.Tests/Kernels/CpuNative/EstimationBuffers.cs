using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention;
using RectifiedSpaAttn.Kernels.Attention.Estimation;
using RectifiedSpaAttn.Kernels.CpuNative;
using static RectifiedSpaAttn.Tests.Kernels.Estimation.EstimationSupport;

namespace RectifiedSpaAttn.Tests.Kernels.CpuNative;

/// <summary>
/// Inputs and poisoned outputs of the five estimation steps on the CPU accelerator (NaN floats, 0xCD bytes, 0xDEADBEEF
/// ints, one guard element past each output), and the chain run either by the emulated kernels
/// (<see cref="EstimationSteps"/>) or by <see cref="CpuEstimation"/>, each step fed the previous one's output as the
/// pipeline does.
/// </summary>
internal sealed class EstimationBuffers<T> : IDisposable where T : unmanaged
{
    private readonly Accelerator _cpu;
    private readonly AttentionShape _shape;
    private readonly List<IDisposable> _owned = [];
    private readonly bool _hasNeighbors;

    public EstimationBuffers(Accelerator cpu, AttentionShape shape, T[] q, T[] k, T[] v, byte[]? neighbors)
    {
        _cpu = cpu;
        _shape = shape;
        int nK = shape.KeyBlocks, dim = shape.HeadDim;
        Rows = (long)shape.HeadCount * shape.QueryBlocks;
        Pairs = Rows * nK;
        long keyStats = (long)shape.HeadCount * nK * dim;
        Q = Own(Upload(cpu, q)); K = Own(Upload(cpu, k)); V = Own(Upload(cpu, v));
        _hasNeighbors = neighbors is not null;
        // Without a neighbour mask the pipeline passes a 1-element buffer; it must not be read.
        Neighbors = Own(Upload(cpu, neighbors ?? [1]));
        QueryMeans = Own(PoisonedFloats(cpu, Rows * dim)); QueryDeviations = Own(PoisonedFloats(cpu, Rows * dim));
        KeyMeans = Own(PoisonedFloats(cpu, keyStats)); KeyDeviations = Own(PoisonedFloats(cpu, keyStats));
        ValueMeans = Own(PoisonedFloats(cpu, keyStats)); Unused = Own(PoisonedFloats(cpu, 0));
        BlockMass = Own(PoisonedFloats(cpu, Pairs)); TextMass = Own(PoisonedFloats(cpu, Rows));
        Mask = Own(PoisonedBytes(cpu, Pairs)); Compensable = Own(PoisonedBytes(cpu, Pairs));
        Counts = Own(PoisonedInts(cpu, Rows)); Lists = Own(PoisonedInts(cpu, Pairs));
        Rectification = Own(PoisonedFloats(cpu, Rows)); Compensation = Own(PoisonedFloats(cpu, Rows * dim));
    }

    public long Rows { get; }
    public long Pairs { get; }
    public DeviceBuffer<T> Q { get; }
    public DeviceBuffer<T> K { get; }
    public DeviceBuffer<T> V { get; }
    public DeviceBuffer<byte> Neighbors { get; }
    public DeviceBuffer<float> QueryMeans { get; }
    public DeviceBuffer<float> QueryDeviations { get; }
    public DeviceBuffer<float> KeyMeans { get; }
    public DeviceBuffer<float> KeyDeviations { get; }
    public DeviceBuffer<float> ValueMeans { get; }
    /// <summary>V's deviation argument, never asked for: must stay NaN.</summary>
    public DeviceBuffer<float> Unused { get; }
    public DeviceBuffer<float> BlockMass { get; }
    public DeviceBuffer<float> TextMass { get; }
    public DeviceBuffer<byte> Mask { get; }
    public DeviceBuffer<byte> Compensable { get; }
    public DeviceBuffer<int> Counts { get; }
    public DeviceBuffer<int> Lists { get; }
    public DeviceBuffer<float> Rectification { get; }
    public DeviceBuffer<float> Compensation { get; }

    /// <summary>The chain on <see cref="CpuEstimation"/> at vector width <paramref name="level"/>.</summary>
    public void RunHost(float tau, int minCritical, int firstFrame, SimdLevel level)
    {
        AttentionShape s = _shape;
        CpuEstimation.PoolBlocks(s, Q.View, s.QueryBlockSize, Out(QueryMeans, Rows * s.HeadDim), Out(QueryDeviations, Rows * s.HeadDim), true, level);
        CpuEstimation.PoolBlocks(s, K.View, s.KeyBlockSize, Out(KeyMeans, KeyStats), Out(KeyDeviations, KeyStats), true, level);
        CpuEstimation.PoolBlocks(s, V.View, s.KeyBlockSize, Out(ValueMeans, KeyStats), Unused.View, false, level);
        CpuEstimation.PooledMasses(s, QueryMeans.View, KeyMeans.View, K.View, Out(BlockMass, Pairs), Out(TextMass, Rows), level);
        CpuEstimation.SelectCriticalBlocks(s, BlockMass.View, TextMass.View, tau, minCritical, firstFrame, Neighbors.View, _hasNeighbors, Out(Mask, Pairs));
        CpuEstimation.CompactCriticalBlocks(s, Mask.View, Out(Counts, Rows), Out(Lists, Pairs));
        CpuEstimation.RectificationTerms(s, QueryMeans.View, QueryDeviations.View, KeyMeans.View, KeyDeviations.View, ValueMeans.View,
            BlockMass.View, TextMass.View, Mask.View, Out(Compensable, Pairs), Out(Rectification, Rows), Out(Compensation, Rows * s.HeadDim), level);
    }

    /// <summary>The chain on the generated kernels, emulated by the CPU accelerator.</summary>
    public void RunKernels(float tau, int minCritical, int firstFrame)
    {
        AttentionShape s = _shape;
        EstimationSteps.PoolBlocks(_cpu, s, Q.View, s.QueryBlockSize, Out(QueryMeans, Rows * s.HeadDim), Out(QueryDeviations, Rows * s.HeadDim), true);
        EstimationSteps.PoolBlocks(_cpu, s, K.View, s.KeyBlockSize, Out(KeyMeans, KeyStats), Out(KeyDeviations, KeyStats), true);
        EstimationSteps.PoolBlocks(_cpu, s, V.View, s.KeyBlockSize, Out(ValueMeans, KeyStats), Unused.View, false);
        EstimationSteps.PooledMasses(_cpu, s, QueryMeans.View, KeyMeans.View, K.View, Out(BlockMass, Pairs), Out(TextMass, Rows));
        EstimationSteps.SelectCriticalBlocks(_cpu, s, BlockMass.View, TextMass.View, tau, minCritical, firstFrame, Neighbors.View, _hasNeighbors, Out(Mask, Pairs));
        EstimationSteps.CompactCriticalBlocks(_cpu, s, Mask.View, Out(Counts, Rows), Out(Lists, Pairs));
        EstimationSteps.RectificationTerms(_cpu, s, QueryMeans.View, QueryDeviations.View, KeyMeans.View, KeyDeviations.View, ValueMeans.View,
            BlockMass.View, TextMass.View, Mask.View, Out(Compensable, Pairs), Out(Rectification, Rows), Out(Compensation, Rows * s.HeadDim));
    }

    /// <summary>Every output, element by element (guards included), for exact comparison between runs.</summary>
    public IEnumerable<(string Name, Array Values)> Outputs()
    {
        yield return ("qbar", QueryMeans.ToArray()); yield return ("dq", QueryDeviations.ToArray());
        yield return ("kbar", KeyMeans.ToArray()); yield return ("dk", KeyDeviations.ToArray());
        yield return ("vbar", ValueMeans.ToArray()); yield return ("unused", Unused.ToArray());
        yield return ("P", BlockMass.ToArray()); yield return ("T", TextMass.ToArray());
        yield return ("mask", Mask.ToArray()); yield return ("counts", Counts.ToArray()); yield return ("lists", Lists.ToArray());
        yield return ("compensable", Compensable.ToArray()); yield return ("R", Rectification.ToArray()); yield return ("C", Compensation.ToArray());
    }

    public void Dispose()
    {
        foreach (IDisposable buffer in _owned) buffer.Dispose();
    }

    private long KeyStats => (long)_shape.HeadCount * _shape.KeyBlocks * _shape.HeadDim;

    /// <summary>The output part of a poisoned buffer: its guard element lies past the view, so an overrun shows.</summary>
    private static ArrayView<TElement> Out<TElement>(DeviceBuffer<TElement> buffer, long count) where TElement : unmanaged => buffer.SubView(0, count);

    private TBuffer Own<TBuffer>(TBuffer buffer) where TBuffer : IDisposable
    {
        _owned.Add(buffer);
        return buffer;
    }
}
