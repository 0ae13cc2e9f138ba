//! Pages of the cash registers (filled below).
