//! The tests of Go's `omitempty` for the field types of the API's structs, for
//! `#[serde(skip_serializing_if = "...")]`: Go omits `false`, `0`, `""`, empty slices and
//! maps and nil pointers (`Option::is_none`, `String::is_empty`, `Vec::is_empty` and
//! `BTreeMap::is_empty` cover the rest).

// serde passes the field by reference.
#![allow(clippy::trivially_copy_pass_by_ref)]

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

pub(crate) fn is_zero_i32(n: &i32) -> bool {
    *n == 0
}

pub(crate) fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}

pub(crate) fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}
