/**
 * Tersoff silicon, identical to LAMMPS' potentials/Si.tersoff (J. Tersoff, Phys. Rev. B 37,
 * 6991 (1988)), metal units: A, B in eV; lambda1, lambda2, lambda3 in 1/Å; R, D in Å.
 */
export const SI_TERSOFF = {
  m: 3.0,
  gamma: 1.0,
  lambda3: 1.3258,
  c: 4.8381,
  d: 2.0417,
  costheta0: 0.0,
  n: 22.956,
  beta: 0.33675,
  lambda2: 1.3258,
  B: 95.373,
  R: 3.0,
  D: 0.2,
  lambda1: 3.2394,
  A: 3264.7,
} as const;
