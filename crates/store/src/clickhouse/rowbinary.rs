//! Arrow record batches as ClickHouse's `RowBinary`: row after row, each value in its
//! column's binary form (little-endian numbers, strings as a LEB128 length and the bytes, a
//! `Nullable` value behind a byte that is 1 for NULL), what an `INSERT ... FORMAT RowBinary`
//! reads without parsing text.

use ::duckdb::arrow::array::{Array, AsArray};
use ::duckdb::arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, TimeUnit,
    TimestampMicrosecondType, UInt64Type,
};
use ::duckdb::arrow::record_batch::RecordBatch;

use crate::{Result, StoreError};

/// ClickHouse's type for an Arrow column (without `Nullable`), as ccpulse stores it.
///
/// Timestamps are `DateTime` (seconds, UTC): 18.16 has no `DateTime64`. Durations are stored
/// beside them in seconds with their fractions, so no figure depends on a lost fraction.
pub(crate) fn type_of(dt: &DataType) -> Result<&'static str> {
    Ok(match dt {
        DataType::Utf8 => "String",
        DataType::Boolean => "UInt8",
        DataType::Int8 => "Int8",
        DataType::Int16 => "Int16",
        DataType::Int32 => "Int32",
        DataType::Int64 => "Int64",
        DataType::UInt64 => "UInt64",
        DataType::Float64 => "Float64",
        DataType::Date32 => "Date",
        DataType::Timestamp(TimeUnit::Microsecond, None) => "DateTime('UTC')",
        other => {
            return Err(StoreError::Invalid(format!(
                "no ClickHouse type for Arrow {other}"
            )))
        }
    })
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Appends row `row` of `batch` to `out`; `nullable[c]` says whether column `c` is
/// `Nullable` in the table; `extra` is appended after the row's columns (the version).
pub(crate) fn encode(
    batch: &RecordBatch,
    nullable: &[bool],
    mut extra: impl FnMut(usize, &mut Vec<u8>),
    out: &mut Vec<u8>,
) -> Result<()> {
    let schema = batch.schema();
    for row in 0..batch.num_rows() {
        for (c, column) in batch.columns().iter().enumerate() {
            let name = schema.field(c).name();
            let null = column.is_null(row);
            if nullable.get(c).copied().unwrap_or(true) {
                out.push(u8::from(null));
                if null {
                    continue;
                }
            } else if null {
                return Err(StoreError::Invalid(format!(
                    "column {name}: a null where the table takes none"
                )));
            }
            match column.data_type() {
                DataType::Utf8 => {
                    let s = column.as_string::<i32>().value(row).as_bytes();
                    varint(out, s.len() as u64);
                    out.extend_from_slice(s);
                }
                DataType::Boolean => out.push(u8::from(column.as_boolean().value(row))),
                DataType::Int8 => {
                    out.extend_from_slice(
                        &column.as_primitive::<Int8Type>().value(row).to_le_bytes(),
                    );
                }
                DataType::Int16 => out.extend_from_slice(
                    &column.as_primitive::<Int16Type>().value(row).to_le_bytes(),
                ),
                DataType::Int32 => out.extend_from_slice(
                    &column.as_primitive::<Int32Type>().value(row).to_le_bytes(),
                ),
                DataType::Int64 => out.extend_from_slice(
                    &column.as_primitive::<Int64Type>().value(row).to_le_bytes(),
                ),
                DataType::UInt64 => out.extend_from_slice(
                    &column.as_primitive::<UInt64Type>().value(row).to_le_bytes(),
                ),
                DataType::Float64 => out.extend_from_slice(
                    &column
                        .as_primitive::<Float64Type>()
                        .value(row)
                        .to_le_bytes(),
                ),
                DataType::Date32 => {
                    let days = column.as_primitive::<Date32Type>().value(row);
                    let days = u16::try_from(days).map_err(|_| {
                        StoreError::Invalid(format!(
                            "column {name}: day {days} is outside ClickHouse's Date (1970-2149)"
                        ))
                    })?;
                    out.extend_from_slice(&days.to_le_bytes());
                }
                DataType::Timestamp(TimeUnit::Microsecond, None) => {
                    let us = column.as_primitive::<TimestampMicrosecondType>().value(row);
                    let secs = u32::try_from(us.div_euclid(1_000_000)).map_err(|_| {
                        StoreError::Invalid(format!(
                            "column {name}: {us} µs is outside ClickHouse's DateTime (1970-2106)"
                        ))
                    })?;
                    out.extend_from_slice(&secs.to_le_bytes());
                }
                other => {
                    return Err(StoreError::Invalid(format!(
                        "column {name}: no RowBinary for Arrow {other}"
                    )))
                }
            }
        }
        extra(row, out);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_leb128() {
        let mut out = Vec::new();
        varint(&mut out, 0);
        varint(&mut out, 127);
        varint(&mut out, 300);
        assert_eq!(out, [0, 127, 0xac, 0x02]);
    }
}
