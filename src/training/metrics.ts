/**
 * Error metrics of a potential against reference labels.
 *
 *   energy:  e_k = (E_pred,k - E_ref,k) / N_k            (eV/atom)
 *            MAE = mean_k |e_k|,  RMSE = sqrt(mean_k e_k^2)
 *            when the energy offset is undetermined (fitted with w_E = 0), e_k - mean_k e_k is used
 *            instead and `energy_offset_removed` is true
 *   forces:  per Cartesian component, over all atoms of all frames    (eV/Å)
 *            MAE = mean |F_pred - F_ref|,  RMSE = sqrt(mean (F_pred - F_ref)^2)
 *
 * | symbol   | variable                    |
 * |----------|-----------------------------|
 * | e_k      | perAtomErrors[k]            |
 * | N_k      | sample.natoms               |
 *
 * Metrics with no data (no energy or no force labels) are null (JSON-able).
 */
import type { Potential } from '../potentials/potential.js';
import type { TrainingRecord } from './dataset.js';

/** The record `mlpot eval --json` prints. */
export interface MetricsRecord {
  n_structures: number;
  n_atoms: number;
  /** eV/atom. */
  energy_mae: number | null;
  energy_rmse: number | null;
  /** eV/Å per component. */
  force_mae: number | null;
  force_rmse: number | null;
  /** True when the mean per-atom energy error was removed (energies known only up to a constant). */
  energy_offset_removed: boolean;
}

/** One frame's prediction and reference. */
export interface MetricSample {
  natoms: number;
  energyPred?: number;
  energyRef?: number;
  forcesPred?: Float64Array;
  forcesRef?: Float64Array;
}

export function computeMetrics(samples: readonly MetricSample[], opts: { offsetDetermined?: boolean } = {}): MetricsRecord {
  const removeMean = opts.offsetDetermined === false;
  let nAtoms = 0;
  const e: number[] = [];
  let fAbs = 0, fSq = 0, fN = 0;
  for (const s of samples) {
    nAtoms += s.natoms;
    if (s.energyPred !== undefined && s.energyRef !== undefined) e.push((s.energyPred - s.energyRef) / s.natoms);
    if (s.forcesPred && s.forcesRef) {
      const a = s.forcesPred, b = s.forcesRef;
      for (let k = 0; k < b.length; k++) {
        const d = a[k]! - b[k]!;
        fAbs += Math.abs(d);
        fSq += d * d;
      }
      fN += b.length;
    }
  }
  let eMae: number | null = null, eRmse: number | null = null;
  if (e.length) {
    const mean = removeMean ? e.reduce((x, y) => x + y, 0) / e.length : 0;
    let a = 0, q = 0;
    for (const v of e) {
      a += Math.abs(v - mean);
      q += (v - mean) ** 2;
    }
    eMae = a / e.length;
    eRmse = Math.sqrt(q / e.length);
  }
  return {
    n_structures: samples.length,
    n_atoms: nAtoms,
    energy_mae: eMae,
    energy_rmse: eRmse,
    force_mae: fN ? fAbs / fN : null,
    force_rmse: fN ? Math.sqrt(fSq / fN) : null,
    energy_offset_removed: removeMean && e.length > 0,
  };
}

/**
 * Predict every record with `pot` and compute the metrics. `offsetDetermined` defaults to the
 * potential's own flag when it has one (a LinearPotential fitted with w_E = 0 has false).
 */
export function evaluatePotential(pot: Potential, records: readonly TrainingRecord[], opts: { offsetDetermined?: boolean } = {}): MetricsRecord {
  const samples: MetricSample[] = records.map((r) => {
    const res = pot.compute(r.structure, { forces: r.forces !== undefined });
    const s: MetricSample = { natoms: r.natoms, energyPred: res.energy };
    if (r.energy !== undefined) s.energyRef = r.energy;
    if (r.forces && res.forces) {
      s.forcesPred = res.forces;
      s.forcesRef = r.forces;
    }
    return s;
  });
  const own = (pot as { offsetDetermined?: unknown }).offsetDetermined;
  const offsetDetermined = opts.offsetDetermined ?? (typeof own === 'boolean' ? own : true);
  return computeMetrics(samples, { offsetDetermined });
}
