"""The private APIs the platform still relies on, checked without starting Spark: when a pyspark upgrade
changes one, this fails here instead of a run hanging.

`ObservedFrame` (resources/delta_io_manager.py) asks whether an action has reported an observation's
metrics before calling the blocking `Observation.get`; pyspark has no public way to ask, so it reads the
classic Observation's JVM object (`_jo`) and that object's `future()` (and `getRow()`).
"""

from __future__ import annotations

import inspect
import struct
import zipfile
from pathlib import Path

import pyspark
from pyspark.sql import Observation

_JVM_CLASS = "org/apache/spark/sql/Observation.class"


def _public_methods(class_file: bytes) -> set[tuple[str, str]]:
    """(name, descriptor) of every public method of a JVM class file (JVM spec, chapter 4)."""
    sizes = {3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2, 17: 4, 18: 4, 19: 2, 20: 2}
    utf8: dict[int, str] = {}
    (count,) = struct.unpack_from(">H", class_file, 8)
    pos, index = 10, 1
    while index < count:
        tag = class_file[pos]
        if tag == 1:
            (length,) = struct.unpack_from(">H", class_file, pos + 1)
            utf8[index] = class_file[pos + 3:pos + 3 + length].decode("utf-8", "replace")
            pos += 3 + length
        else:
            pos += 1 + sizes[tag]
        index += 2 if tag in (5, 6) else 1  # longs and doubles take two constant-pool slots

    def members(pos: int) -> tuple[list[tuple[int, str, str]], int]:
        (n,) = struct.unpack_from(">H", class_file, pos)
        pos += 2
        found = []
        for _ in range(n):
            flags, name, descriptor, attributes = struct.unpack_from(">HHHH", class_file, pos)
            pos += 8
            for _ in range(attributes):
                (length,) = struct.unpack_from(">I", class_file, pos + 2)
                pos += 6 + length
            found.append((flags, utf8[name], utf8[descriptor]))
        return found, pos

    (interfaces,) = struct.unpack_from(">H", class_file, pos + 6)
    _, pos = members(pos + 8 + 2 * interfaces)  # fields
    methods, _ = members(pos)
    return {(name, descriptor) for flags, name, descriptor in methods if flags & 0x0001}


def _jvm_observation_class() -> bytes:
    jars = sorted((Path(pyspark.__file__).parent / "jars").glob("spark-sql*.jar"))
    for jar in jars:
        with zipfile.ZipFile(jar) as archive:
            if _JVM_CLASS in archive.namelist():
                return archive.read(_JVM_CLASS)
    raise AssertionError(f"No {_JVM_CLASS} in {[j.name for j in jars]}")


def test_classic_observation_keeps_its_jvm_object_in_jo():
    observation = object.__new__(Observation)  # the classic class, whatever SPARK_CONNECT_MODE_ENABLED says
    Observation.__init__(observation)
    assert observation._jo is None  # set by DataFrame.observe, read by ObservedFrame
    assert "self._jo = " in inspect.getsource(Observation._on), "Observation._on no longer stores the JVM object in _jo"


def test_jvm_observation_has_a_public_future():
    assert ("future", "()Lscala/concurrent/Future;") in _public_methods(_jvm_observation_class())


def test_jvm_observation_gives_its_row():
    """A write by table name reports a metrics row without a schema, which pyspark's `get` cannot convert:
    ObservedFrame then reads the JVM row (its schema, length and values by position)."""
    assert ("getRow", "()Lorg/apache/spark/sql/Row;") in _public_methods(_jvm_observation_class())
