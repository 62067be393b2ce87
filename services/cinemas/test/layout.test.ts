import { describe, expect, test } from "bun:test"
import { capacityOf, duplicateRowLabels } from "../src/domain/layout.ts"

describe("hall layout rules", () => {
  test("a hall's capacity is the sum of its rows' seats", () => {
    expect(capacityOf([{ label: "A", seats: 12 }, { label: "B", seats: 14 }])).toBe(26)
  })

  test("repeated row labels are reported once each, distinct labels not at all", () => {
    expect(duplicateRowLabels([{ label: "A", seats: 1 }, { label: "B", seats: 1 }])).toEqual([])
    const rows = ["A", "B", "A", "C", "B", "A"].map((label) => ({ label, seats: 1 }))
    expect(duplicateRowLabels(rows)).toEqual(["A", "B"])
  })
})
