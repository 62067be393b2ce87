// Pure rules of a hall's seat layout.
import type { RowLayout } from "@bat/contracts"

/** Row labels that occur more than once, each listed once, in order of first repeat. */
export const duplicateRowLabels = (rows: ReadonlyArray<RowLayout>): Array<string> => {
  const seen = new Set<string>()
  const repeated = new Set<string>()
  for (const { label } of rows) (seen.has(label) ? repeated : seen).add(label)
  return [...repeated]
}

/** How many seats a layout has. */
export const capacityOf = (rows: ReadonlyArray<RowLayout>): number => rows.reduce((sum, r) => sum + r.seats, 0)
