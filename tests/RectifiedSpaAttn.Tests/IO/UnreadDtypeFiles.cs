using System.IO.Compression;
using System.Text;
using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.IO;

/// <summary>Files holding q, k, v beside tensors of dtypes this library does not read, built byte by byte.</summary>
internal static class UnreadDtypeFiles
{
    /// <summary>A .safetensors file: 'codes' U8 [3], then q, k, v as F32, then 'scales' F8_E4M3 [2].</summary>
    /// <param name="codesBytes">How many bytes 'codes' claims in data_offsets (3 is right; another count is corrupt).</param>
    public static void WriteSafeTensors(string path, HostTensor<float> q, HostTensor<float> k, HostTensor<float> v, int codesBytes = 3)
    {
        var data = new List<byte>();
        var header = new StringBuilder("{");
        void Add(string name, string dtype, string shape, byte[] bytes)
        {
            header.Append($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{data.Count},{data.Count + bytes.Length}]}},");
            data.AddRange(bytes);
        }
        Add("codes", "U8", "[3]", new byte[codesBytes]);
        foreach ((string name, HostTensor<float> t) in new[] { ("q", q), ("k", k), ("v", v) })
            Add(name, "F32", "[" + string.Join(",", t.Shape.ToArray()) + "]", t.AsBytes().ToArray());
        Add("scales", "F8_E4M3", "[2]", [0x38, 0x40]);
        byte[] json = Encoding.UTF8.GetBytes(header.ToString().TrimEnd(',') + "}");
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        file.Write(data.ToArray());
    }

    /// <summary>An .npz archive: q, k, v and 'codes', an unsigned-byte array ('|u1').</summary>
    public static void WriteNpz(string path, HostTensor<float> q, HostTensor<float> k, HostTensor<float> v)
    {
        using var archive = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach ((string name, HostTensor<float> t) in new[] { ("q", q), ("k", k), ("v", v) })
        {
            using Stream entry = archive.CreateEntry(name + ".npy").Open();
            NpyFile.Write(entry, t);
        }
        using Stream codes = archive.CreateEntry("codes.npy").Open();
        string dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }";
        string header = dict.PadRight(64 - 10 - 1) + "\n";
        codes.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0]);
        codes.Write(Encoding.ASCII.GetBytes(header));
        codes.Write([1, 2, 3]);
    }
}
