using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.Workloads;

/// <summary>
/// Plain double-loop dense attention over the visual tokens of one (batch, head) slice, with block-level masses:
/// the independent yardstick the workload tests measure concentration with.
/// </summary>
internal sealed class DenseBlockAttention
{
    public DenseBlockAttention(HostTensor<float> q, HostTensor<float> k, HostTensor<float> v, int b, int h, int tokens, int blockSize)
    {
        int d = q.Shape[3];
        Tokens = tokens;
        Dim = d;
        BlockSize = blockSize;
        Blocks = (tokens + blockSize - 1) / blockSize;
        Span<float> qs = q.Row(b, h), ks = k.Row(b, h), vs = v.Row(b, h);
        Values = new double[tokens * d];
        for (int i = 0; i < Values.Length; i++) Values[i] = vs[i];
        Weights = new double[tokens, tokens];
        Output = new double[tokens * d];
        double scale = 1 / Math.Sqrt(d);
        for (int i = 0; i < tokens; i++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < tokens; j++)
            {
                double z = 0;
                for (int c = 0; c < d; c++) z += (double)qs[i * d + c] * ks[j * d + c];
                Weights[i, j] = z * scale;
                max = Math.Max(max, Weights[i, j]);
            }
            double sum = 0;
            for (int j = 0; j < tokens; j++) sum += Weights[i, j] = Math.Exp(Weights[i, j] - max);
            for (int j = 0; j < tokens; j++)
            {
                Weights[i, j] /= sum;
                for (int c = 0; c < d; c++) Output[i * d + c] += Weights[i, j] * Values[j * d + c];
            }
        }
        // Block mass [i, j]: the mean over the queries of block i of their total weight on the keys of block j.
        Mass = new double[Blocks, Blocks];
        for (int i = 0; i < tokens; i++)
            for (int j = 0; j < tokens; j++)
                Mass[i / blockSize, j / blockSize] += Weights[i, j] / BlockLength(i / blockSize);
    }

    public int Tokens { get; }
    public int Dim { get; }
    public int BlockSize { get; }
    public int Blocks { get; }
    public double[] Values { get; }
    public double[,] Weights { get; }
    public double[] Output { get; }
    public double[,] Mass { get; }

    public int BlockLength(int block) => Math.Min(BlockSize, Tokens - block * BlockSize);

    /// <summary>Key blocks of row <paramref name="i"/> by descending mass (ties to the lower index).</summary>
    public int[] RankedKeyBlocks(int i) => [.. Enumerable.Range(0, Blocks).OrderByDescending(j => Mass[i, j]).ThenBy(j => j)];

    /// <summary>The share of row i's mass in its <paramref name="count"/> heaviest key blocks.</summary>
    public double TopMass(int i, int count) => RankedKeyBlocks(i).Take(count).Sum(j => Mass[i, j]);

    /// <summary>Token-level attention of query t restricted to the kept key blocks, renormalised (plain block sparsity).</summary>
    public double[] SparseOutput(int t, bool[] kept)
    {
        var result = new double[Dim];
        double keptMass = 0;
        for (int j = 0; j < Tokens; j++) if (kept[j / BlockSize]) keptMass += Weights[t, j];
        for (int j = 0; j < Tokens; j++)
            if (kept[j / BlockSize])
                for (int c = 0; c < Dim; c++) result[c] += Weights[t, j] / keptMass * Values[j * Dim + c];
        return result;
    }

    /// <summary>The mean value of key block j.</summary>
    public double[] BlockMeanValue(int j)
    {
        var mean = new double[Dim];
        int lo = j * BlockSize, n = BlockLength(j);
        for (int u = lo; u < lo + n; u++)
            for (int c = 0; c < Dim; c++) mean[c] += Values[u * Dim + c] / n;
        return mean;
    }
}
