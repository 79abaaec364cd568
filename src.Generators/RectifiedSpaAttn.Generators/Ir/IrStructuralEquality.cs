using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Linq;
using System.Reflection;

namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>
/// Whether two IR trees are the same program: same node types with equal public properties, recursively (lists
/// element by element, floats by their bits so that 0.0 and -0.0 differ). The IR keeps all its state in public
/// get-only properties, so comparing them is complete, and a node kind added later is compared without any change
/// here. The incremental generator relies on this: equal IR means the backends would write the same text.
/// </summary>
public static class IrStructuralEquality
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> s_properties = new();

    public static bool Equal(IrKernel a, IrKernel b) => Same(a, b);

    private static bool Same(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null) return false;
        Type type = a.GetType();
        if (type != b.GetType()) return false;
        switch (a)
        {
            case string s: return string.Equals(s, (string)b, StringComparison.Ordinal);
            case double d: return BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits((double)b);
            case float f: return BitConverter.DoubleToInt64Bits(f) == BitConverter.DoubleToInt64Bits((float)b);
            case IEnumerable list: return SameSequence(list, (IEnumerable)b);
        }
        if (type.IsPrimitive || type.IsEnum) return a.Equals(b);
        foreach (PropertyInfo p in Properties(type))
            if (!Same(p.GetValue(a), p.GetValue(b))) return false;
        return true;
    }

    private static bool SameSequence(IEnumerable a, IEnumerable b)
    {
        IEnumerator x = a.GetEnumerator(), y = b.GetEnumerator();
        while (true)
        {
            bool more = x.MoveNext();
            if (more != y.MoveNext()) return false;
            if (!more) return true;
            if (!Same(x.Current, y.Current)) return false;
        }
    }

    private static PropertyInfo[] Properties(Type type) => s_properties.GetOrAdd(type, static t =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetMethod is not null && p.GetIndexParameters().Length == 0).ToArray());
}
