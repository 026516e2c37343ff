/**
 * The one place that owns physical constants and unit conversions.
 *
 * Internal units are those of ASE and LAMMPS "metal" style:
 * energy eV, length Å, time fs, mass amu (dalton), temperature K, charge e.
 * Stress and pressure are eV/Å^3 internally; convert only at the boundary.
 *
 * Constants are CODATA 2018 (exact SI definitions where they exist).
 * Names carry the unit of the quantity they convert *to* when that could be doubted.
 */

/** Elementary charge in coulomb (exact, SI 2019). */
export const ELEMENTARY_CHARGE_C = 1.602176634e-19;
/** Avogadro constant in 1/mol (exact). */
export const AVOGADRO = 6.02214076e23;
/** Boltzmann constant in J/K (exact). */
export const BOLTZMANN_J_PER_K = 1.380649e-23;
/** Boltzmann constant in eV/K. */
export const KB = BOLTZMANN_J_PER_K / ELEMENTARY_CHARGE_C; // 8.617333262e-5 eV/K
/** Atomic mass constant (dalton) in kg, CODATA 2018. */
export const AMU_KG = 1.6605390666e-27;
/** Planck constant in J s (exact). */
export const PLANCK_J_S = 6.62607015e-34;
/** Speed of light in m/s (exact). */
export const SPEED_OF_LIGHT_M_S = 299792458;
/** Hartree energy in eV (CODATA 2018). */
export const HARTREE_EV = 27.211386245988;
/** Bohr radius in Å (CODATA 2018). */
export const BOHR_ANGSTROM = 0.529177210903;

/** Energy conversions from eV. */
export const EV_TO_KJ_PER_MOL = (ELEMENTARY_CHARGE_C * AVOGADRO) / 1000; // 96.485332...
export const KCAL_TO_KJ = 4.184;
export const EV_TO_KCAL_PER_MOL = EV_TO_KJ_PER_MOL / KCAL_TO_KJ; // 23.0605...
export const EV_TO_J = ELEMENTARY_CHARGE_C;
/** Wavenumber: E = h c nu~, so 1 eV = 1/(h c) cm^-1. */
export const EV_TO_INV_CM = ELEMENTARY_CHARGE_C / (PLANCK_J_S * SPEED_OF_LIGHT_M_S * 100); // 8065.54...
/** Frequency: E = h nu, so 1 eV = e/h Hz, in THz. */
export const EV_TO_THZ = ELEMENTARY_CHARGE_C / PLANCK_J_S / 1e12; // 241.799...
/** 1 THz in cm^-1: nu~ = nu / c = 1e12 / (c in cm/s) = 33.356... */
export const THZ_TO_INV_CM = 1e12 / (SPEED_OF_LIGHT_M_S * 100);

/** Pressure/stress: 1 eV/Å^3 in GPa (= e * 1e30 Pa / 1e9). */
export const EV_PER_A3_TO_GPA = ELEMENTARY_CHARGE_C * 1e21; // 160.21766...
export const EV_PER_A3_TO_BAR = EV_PER_A3_TO_GPA * 1e4;
export const GPA_TO_EV_PER_A3 = 1 / EV_PER_A3_TO_GPA;
/** 1 kbar (VASP "kB") in eV/Å^3. */
export const KBAR_TO_EV_PER_A3 = 0.1 * GPA_TO_EV_PER_A3;
/** Surface energy: 1 eV/Å^2 in J/m^2. */
export const EV_PER_A2_TO_J_PER_M2 = ELEMENTARY_CHARGE_C * 1e20; // 16.0217...

/**
 * Time: the natural time unit of (amu, Å, eV) is sqrt(amu Å^2 / eV) = 10.1805... fs.
 * With forces in eV/Å and masses in amu, acceleration in Å/fs^2 is F/m * ACCEL_TO_A_PER_FS2.
 */
export const NATURAL_TIME_FS = Math.sqrt((AMU_KG * 1e-20) / ELEMENTARY_CHARGE_C) * 1e15; // 10.1805...
export const ACCEL_TO_A_PER_FS2 = 1 / (NATURAL_TIME_FS * NATURAL_TIME_FS);
/** Kinetic energy: 0.5 m v^2 with m in amu and v in Å/fs gives eV after multiplying by this. */
export const MV2_TO_EV = NATURAL_TIME_FS * NATURAL_TIME_FS;

export const HARTREE_PER_BOHR_TO_EV_PER_A = HARTREE_EV / BOHR_ANGSTROM;
export const KCAL_PER_MOL_TO_EV = 1 / EV_TO_KCAL_PER_MOL;
export const KJ_PER_MOL_TO_EV = 1 / EV_TO_KJ_PER_MOL;

/** Diffusion coefficients: 1 Å^2/fs = 1e-16 cm^2 / 1e-15 s = 0.1 cm^2/s. */
export const A2_PER_FS_TO_CM2_PER_S = 0.1;
