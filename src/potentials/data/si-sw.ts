/**
 * Stillinger-Weber silicon, identical to LAMMPS' potentials/Si.sw (Stillinger and Weber,
 * Phys. Rev. B 31, 5262 (1985)), metal units: epsilon in eV, sigma in Å, the rest unitless.
 */
export const SI_SW = {
  epsilon: 2.1683,
  sigma: 2.0951,
  a: 1.80,
  lambda: 21.0,
  gamma: 1.20,
  costheta0: -0.333333333333,
  A: 7.049556277,
  B: 0.6022245584,
  p: 4.0,
  q: 0.0,
  tol: 0.0,
} as const;
