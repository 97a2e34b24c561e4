import { type GraphQLInterfaceType, type GraphQLObjectType, getNamedType, isObjectType } from 'graphql';

/** Every field of a type, nested objects included, as a selection set. */
export function selectionOf(
  type: GraphQLObjectType | GraphQLInterfaceType,
  skip: ReadonlySet<string> = new Set(),
): string {
  return Object.values(type.getFields())
    .filter((field) => !skip.has(field.name))
    .map((field) => {
      const named = getNamedType(field.type);
      return isObjectType(named) ? `${field.name} { ${selectionOf(named)} }` : field.name;
    })
    .join(' ');
}
