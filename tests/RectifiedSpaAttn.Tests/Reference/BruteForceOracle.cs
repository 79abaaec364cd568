namespace RectifiedSpaAttn.Tests.Reference;

/// <summary>
/// A second, deliberately naive implementation of the spec for one (b, h) head, written differently from the library:
/// token-to-block membership by division, LINQ averages, a sorted list for the selection, and a full S x S token mask
/// with a textbook softmax. Slow, small inputs only. Arrays are [S][D] jagged.
/// </summary>
internal static class BruteForceOracle
{
    internal sealed record HeadResult(
        double[][] Output, bool[,] Mask, double[,] BlockMass, double[] TextMass, double[] R, double[][] C, bool[,] Compensable, double[][] Sparse);

    internal sealed record Settings(int M, int N, int TextTokens, int ValidText, double Tau, int KMin, int FirstFrame, bool[,]? Neighbor, bool[,]? Supplied, bool Rectify);

    public static HeadResult Run(double[][] q, double[][] k, double[][] v, Settings s)
    {
        int seq = q.Length, dim = q[0].Length, visual = seq - s.TextTokens;
        int nQ = (visual + s.M - 1) / s.M, nK = (visual + s.N - 1) / s.N;
        int[] qTokensOf(int i) => Enumerable.Range(0, visual).Where(t => t / s.M == i).ToArray();
        int[] kTokensOf(int j) => Enumerable.Range(0, visual).Where(t => t / s.N == j).ToArray();
        double[] mean(double[][] x, int[] tokens) => Enumerable.Range(0, dim).Select(d => tokens.Average(t => x[t][d])).ToArray();
        double[] mad(double[][] x, int[] tokens, double[] m) => Enumerable.Range(0, dim).Select(d => tokens.Average(t => Math.Abs(x[t][d] - m[d]))).ToArray();
        double dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

        var qbar = Enumerable.Range(0, nQ).Select(i => mean(q, qTokensOf(i))).ToArray();
        var kbar = Enumerable.Range(0, nK).Select(j => mean(k, kTokensOf(j))).ToArray();
        var vbar = Enumerable.Range(0, nK).Select(j => mean(v, kTokensOf(j))).ToArray();
        var dq = Enumerable.Range(0, nQ).Select(i => mad(q, qTokensOf(i), qbar[i])).ToArray();
        var dk = Enumerable.Range(0, nK).Select(j => mad(k, kTokensOf(j), kbar[j])).ToArray();
        int[] validText = Enumerable.Range(visual, s.ValidText).ToArray();

        // IPAR from an explicit list of columns (weight = tokens the column stands for).
        var p = new double[nQ, nK];
        var textMass = new double[nQ];
        for (int i = 0; i < nQ; i++)
        {
            var columns = Enumerable.Range(0, nK).Select(j => (logit: dot(qbar[i], kbar[j]) / Math.Sqrt(dim), weight: (double)kTokensOf(j).Length))
                .Concat(validText.Select(t => (logit: dot(qbar[i], k[t]) / Math.Sqrt(dim), weight: 1.0))).ToList();
            double top = columns.Max(c => c.logit);
            var e = columns.Select(c => Math.Exp(c.logit - top)).ToList();
            double z = e.Sum();
            var pi = e.Select(x => x / z).ToList();
            double w = columns.Select((c, n) => c.weight * pi[n]).Sum();
            for (int j = 0; j < nK; j++) p[i, j] = columns[j].weight * pi[j] / w;
            textMass[i] = pi.Skip(nK).Sum() / w;
        }

        var mask = new bool[nQ, nK];
        for (int i = 0; i < nQ; i++)
        {
            if (s.Supplied is not null)
            {
                for (int j = 0; j < nK; j++) mask[i, j] = s.Supplied[i, j];
                continue;
            }
            var entries = Enumerable.Range(0, nK).Select(j => (index: j, mass: p[i, j])).ToList();
            if (s.ValidText > 0) entries.Add((nK, textMass[i]));
            var sorted = entries.OrderByDescending(x => x.mass).ThenBy(x => x.index).ToList();
            double running = 0;
            int within = sorted.Count(x => (running += x.mass) <= s.Tau);
            int c = s.Tau >= 1 ? sorted.Count : Math.Min(sorted.Count, Math.Max(within + 1, s.KMin));
            foreach (var x in sorted.Take(c)) if (x.index < nK) mask[i, x.index] = true;
            for (int j = 0; j < nK; j++)
            {
                if (s.Neighbor is not null && s.Neighbor[i, j]) mask[i, j] = true;
                if (i < s.FirstFrame && j < s.FirstFrame) mask[i, j] = true;
            }
        }

        var compensable = new bool[nQ, nK];
        for (int i = 0; i < nQ; i++)
            for (int j = 0; j < nK; j++)
                compensable[i, j] = s.Rectify && Math.Abs(dot(qbar[i], kbar[j])) > Math.Abs(dot(dq[i], kbar[j])) + Math.Abs(dot(qbar[i], dk[j]));

        var r = new double[nQ];
        var comp = new double[nQ][];
        for (int i = 0; i < nQ; i++)
        {
            comp[i] = new double[dim];
            if (!s.Rectify) { r[i] = 1; continue; }
            r[i] = textMass[i];
            for (int j = 0; j < nK; j++)
            {
                if (mask[i, j] || !compensable[i, j]) r[i] += p[i, j];
                else for (int d = 0; d < dim; d++) comp[i][d] += p[i, j] * vbar[j][d];
            }
        }

        // Token-level permission matrix, then a textbook masked softmax per row.
        bool isValidKey(int u) => u < visual + s.ValidText;
        bool allowed(int t, int u)
        {
            if (!isValidKey(u) || !isValidKey(t)) return false;
            if (t >= visual) return true;
            return u >= visual || mask[t / s.M, u / s.N];
        }
        var sparse = new double[seq][];
        var output = new double[seq][];
        for (int t = 0; t < seq; t++)
        {
            sparse[t] = new double[dim];
            var keys = Enumerable.Range(0, seq).Where(u => allowed(t, u)).ToArray();
            if (keys.Length > 0)
            {
                var logits = keys.Select(u => dot(q[t], k[u]) / Math.Sqrt(dim)).ToArray();
                double top = logits.Max();
                var e = logits.Select(x => Math.Exp(x - top)).ToArray();
                double z = e.Sum();
                for (int n = 0; n < keys.Length; n++)
                    for (int d = 0; d < dim; d++) sparse[t][d] += e[n] / z * v[keys[n]][d];
            }
            output[t] = t < visual
                ? sparse[t].Select((x, d) => r[t / s.M] * x + comp[t / s.M][d]).ToArray()
                : (double[])sparse[t].Clone();
        }
        return new HeadResult(output, mask, p, textMass, r, comp, compensable, sparse);
    }
}
