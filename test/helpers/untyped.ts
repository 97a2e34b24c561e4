/**
 * A JSON answer whose shape no type states (an untyped document's data, a body built by hand, a REST answer of
 * any shape): each test reads it field by field, as it sees fit. The tests' one `any`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the point of the alias; assertions check the shape at run time
export type UntypedData = any;
