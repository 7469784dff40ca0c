//! Adam's and AdamW's step on parameter slices: the loop is a kernel
//! ([`crate::kernels`]), compiled for the widest instruction set the CPU
//! has.

pub(crate) use crate::kernels::AdamStep;
