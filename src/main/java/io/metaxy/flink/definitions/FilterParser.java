package io.metaxy.flink.definitions;

import io.metaxy.flink.definitions.FilterExpression.And;
import io.metaxy.flink.definitions.FilterExpression.Column;
import io.metaxy.flink.definitions.FilterExpression.Comparison;
import io.metaxy.flink.definitions.FilterExpression.In;
import io.metaxy.flink.definitions.FilterExpression.IsNull;
import io.metaxy.flink.definitions.FilterExpression.Literal;
import io.metaxy.flink.definitions.FilterExpression.Not;
import io.metaxy.flink.definitions.FilterExpression.Op;
import io.metaxy.flink.definitions.FilterExpression.Operand;
import io.metaxy.flink.definitions.FilterExpression.Or;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses Metaxy's dependency filter strings ({@code FeatureDep(filters=["age >= 25"])}, which
 * Metaxy parses with sqlglot in {@code metaxy/models/filter_expression.py}) into a
 * {@link FilterExpression}. The grammar, loosest binding first:
 *
 * <pre>
 * filter     := or
 * or         := and ( OR and )*
 * and        := not ( AND not )*
 * not        := NOT not | predicate
 * predicate  := primary [ op primary | IS [NOT] (NULL | TRUE | FALSE) ] | column [NOT] IN ( literal, … )
 * primary    := ( filter ) | literal | column
 * op         := = | == | &lt;&gt; | != | &lt; | &lt;= | &gt; | &gt;=
 * literal    := [-] number | 'text' ('' for a quote) | TRUE | FALSE | NULL
 * column     := name ( . name )*        name: [A-Za-z_][A-Za-z0-9_]* or "double quoted" ("" for a quote)
 * </pre>
 *
 * Keywords are case-insensitive. As in Metaxy, {@code column = NULL} means {@code column IS NULL}
 * and {@code column != NULL} means {@code column IS NOT NULL}; {@code x IS TRUE} means
 * {@code x = TRUE} (so it is unknown, not FALSE, for a NULL x); a dotted column is one column
 * named with its dots ({@code a.b}). An integer literal is a Long (a Double when it does not fit),
 * any other number a Double.
 *
 * <pre>{@code
 * FilterParser.parse("NOT (status = 'deleted') AND deleted_at = NULL");
 * }</pre>
 *
 * A string that does not parse is a {@link DefinitionException} naming the problem and its
 * 1-based character position, e.g. {@code filter 'age >= = 2': expected a column or a literal at
 * position 8, found '='}.
 */
public final class FilterParser {
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Set<String> KEYWORDS = Set.of("AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE");

    private final String text;
    private final List<Token> tokens;
    private int next;

    private FilterParser(String text) {
        this.text = text;
        this.tokens = tokenize(text);
    }

    /** Parses one filter string. */
    public static FilterExpression parse(String text) {
        if (text == null || text.isBlank()) {
            throw new DefinitionException("filter " + (text == null ? "null" : "'" + text + "'") + " is empty");
        }
        FilterParser parser = new FilterParser(text);
        FilterExpression out = parser.or();
        Token end = parser.peek();
        if (end.type != Type.END) {
            throw parser.error(end, "expected AND, OR or the end of the filter");
        }
        return out;
    }

    /** Parses each of {@code filters}; {@code where} (e.g. "feature 'a' dep on 'b'") prefixes the message of the first that fails. */
    public static List<FilterExpression> parseAll(List<String> filters, String where) {
        List<FilterExpression> out = new ArrayList<>();
        for (String f : filters) {
            try {
                out.add(parse(f));
            } catch (DefinitionException e) {
                throw new DefinitionException(where + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private enum Type { WORD, QUOTED, NUMBER, STRING, OP, LPAREN, RPAREN, COMMA, DOT, MINUS, END }

    private record Token(Type type, String text, int position) {
        boolean keyword(String word) {
            return type == Type.WORD && text.equalsIgnoreCase(word);
        }

        String describe() {
            return switch (type) {
                case END -> "the end of the filter";
                case STRING -> "the string '" + text.replace("'", "''") + "'";
                case QUOTED -> "\"" + text + "\"";
                default -> "'" + text + "'";
            };
        }
    }

    private Token peek() {
        return tokens.get(next);
    }

    private Token take() {
        return tokens.get(next++);
    }

    private DefinitionException error(Token at, String expected) {
        return new DefinitionException("filter '" + text + "': " + expected + " at position " + (at.position + 1)
                + ", found " + at.describe());
    }

    private DefinitionException error(int position, String problem) {
        return new DefinitionException("filter '" + text + "': " + problem + " at position " + (position + 1));
    }

    private FilterExpression or() {
        FilterExpression left = and();
        while (peek().keyword("OR")) {
            take();
            left = new Or(left, and());
        }
        return left;
    }

    private FilterExpression and() {
        FilterExpression left = not();
        while (peek().keyword("AND")) {
            take();
            left = new And(left, not());
        }
        return left;
    }

    private FilterExpression not() {
        if (peek().keyword("NOT")) {
            take();
            return new Not(not());
        }
        return predicate();
    }

    private FilterExpression predicate() {
        Token start = peek();
        FilterExpression left = primary();
        Token t = peek();
        if (t.type == Type.OP) {
            Operand l = operand(left, start, t);
            take();
            Token rightStart = peek();
            FilterExpression rightExpr = primary();
            Operand r = operand(rightExpr, rightStart, t);
            return comparison(l, op(t.text), r);
        }
        if (t.keyword("IS")) {
            Operand l = operand(left, start, t);
            take();
            boolean negated = false;
            if (peek().keyword("NOT")) {
                take();
                negated = true;
            }
            Token what = take();
            FilterExpression out;
            if (what.keyword("NULL")) {
                out = new IsNull(l);
            } else if (what.keyword("TRUE") || what.keyword("FALSE")) {
                out = new Comparison(l, Op.EQ, new Literal(what.keyword("TRUE")));
            } else {
                throw error(what, "expected NULL, TRUE or FALSE after IS" + (negated ? " NOT" : ""));
            }
            return negated ? new Not(out) : out;
        }
        boolean notIn = t.keyword("NOT") && tokens.get(next + 1).keyword("IN");
        if (t.keyword("IN") || notIn) {
            if (!(left instanceof Column l)) {
                throw error(start.position, "the left side of " + (notIn ? "NOT IN" : "IN") + " must be a column (as in Metaxy)");
            }
            if (notIn) {
                take();
            }
            take();
            Token open = take();
            if (open.type != Type.LPAREN) {
                throw error(open, "expected '(' after IN");
            }
            List<Literal> values = new ArrayList<>();
            while (true) {
                Token v = peek();
                boolean literalStart = v.type == Type.NUMBER || v.type == Type.MINUS || v.type == Type.STRING || v.type == Type.WORD;
                FilterExpression value = literalStart ? primary() : null;
                if (!(value instanceof Literal literal)) {
                    throw error(v, "expected a literal in the IN list (numbers, 'text', TRUE, FALSE or NULL)");
                }
                values.add(literal);
                Token sep = take();
                if (sep.type == Type.RPAREN) {
                    break;
                }
                if (sep.type != Type.COMMA) {
                    throw error(sep, "expected ',' or ')' in the IN list");
                }
            }
            In in = new In(l, values);
            return notIn ? new Not(in) : in;
        }
        return left;
    }

    /** Metaxy's rewrite: {@code column = NULL} is IS NULL, {@code column != NULL} IS NOT NULL. */
    private static FilterExpression comparison(Operand l, Op op, Operand r) {
        if (op == Op.EQ || op == Op.NE) {
            Operand column = null;
            if (l instanceof Column && r.equals(Literal.NULL)) {
                column = l;
            } else if (r instanceof Column && l.equals(Literal.NULL)) {
                column = r;
            }
            if (column != null) {
                return op == Op.EQ ? new IsNull(column) : new Not(new IsNull(column));
            }
        }
        return new Comparison(l, op, r);
    }

    private Operand operand(FilterExpression e, Token start, Token operator) {
        if (e instanceof Operand o) {
            return o;
        }
        throw error(start.position, "the operands of " + operator.describe() + " must be columns or literals, not a condition");
    }

    private static Op op(String text) {
        return switch (text) {
            case "=", "==" -> Op.EQ;
            case "<>", "!=" -> Op.NE;
            case "<" -> Op.LT;
            case "<=" -> Op.LE;
            case ">" -> Op.GT;
            default -> Op.GE;
        };
    }

    private FilterExpression primary() {
        Token t = take();
        switch (t.type) {
            case LPAREN -> {
                FilterExpression inner = or();
                Token close = take();
                if (close.type != Type.RPAREN) {
                    throw error(close, "expected ')' (to close the '(' at position " + (t.position + 1) + ")");
                }
                return inner;
            }
            case NUMBER -> {
                return new Literal(number(t.text));
            }
            case MINUS -> {
                Token n = take();
                if (n.type != Type.NUMBER) {
                    throw error(n, "expected a number after '-' (unary minus applies to number literals only)");
                }
                return new Literal(number("-" + n.text));
            }
            case STRING -> {
                return new Literal(t.text);
            }
            case QUOTED -> {
                return column(t);
            }
            case WORD -> {
                String upper = t.text.toUpperCase(Locale.ROOT);
                switch (upper) {
                    case "NULL":
                        return Literal.NULL;
                    case "TRUE":
                        return new Literal(Boolean.TRUE);
                    case "FALSE":
                        return new Literal(Boolean.FALSE);
                    default:
                        if (KEYWORDS.contains(upper)) {
                            throw error(t, "expected a column or a literal");
                        }
                        return column(t);
                }
            }
            default -> throw error(t, "expected a column or a literal");
        }
    }

    /** A column name, with any {@code .name} parts that follow it. */
    private Column column(Token first) {
        StringBuilder name = new StringBuilder(first.text);
        while (peek().type == Type.DOT) {
            take();
            Token part = take();
            if (part.type != Type.QUOTED && !(part.type == Type.WORD && !KEYWORDS.contains(part.text.toUpperCase(Locale.ROOT)))) {
                throw error(part, "expected a column name after '.'");
            }
            name.append('.').append(part.text);
        }
        return new Column(name.toString());
    }

    /** Whether {@code text} is a number literal (an optional sign, digits, an optional fraction and exponent). */
    static boolean isNumber(String text) {
        return NUMBER.matcher(text).matches();
    }

    /** A number literal's value: Long when integral and in range, else Double. */
    static Object number(String text) {
        String t = text.startsWith("+") ? text.substring(1) : text;
        if (!t.contains(".") && !t.contains("e") && !t.contains("E")) {
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException tooLarge) {
                // falls through to a Double, as an out-of-range integer is approximate anyway
            }
        }
        double d = Double.parseDouble(t);
        if (Double.isInfinite(d)) {
            throw new DefinitionException("number " + text + " is out of range");
        }
        return d;
    }

    private List<Token> tokenize(String s) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '(') {
                out.add(new Token(Type.LPAREN, "(", i++));
            } else if (c == ')') {
                out.add(new Token(Type.RPAREN, ")", i++));
            } else if (c == ',') {
                out.add(new Token(Type.COMMA, ",", i++));
            } else if (c == '-') {
                out.add(new Token(Type.MINUS, "-", i++));
            } else if (c == '.' && !(i + 1 < s.length() && Character.isDigit(s.charAt(i + 1)))) {
                out.add(new Token(Type.DOT, ".", i++));
            } else if (c == '=' || c == '<' || c == '>' || c == '!') {
                String two = i + 1 < s.length() ? s.substring(i, i + 2) : "";
                if (two.equals("<=") || two.equals(">=") || two.equals("<>") || two.equals("!=") || two.equals("==")) {
                    out.add(new Token(Type.OP, two, i));
                    i += 2;
                } else if (c == '!') {
                    throw error(i, "unexpected character '!' (did you mean '!='?)");
                } else {
                    out.add(new Token(Type.OP, String.valueOf(c), i++));
                }
            } else if (c == '\'' || c == '"') {
                int start = i;
                StringBuilder value = new StringBuilder();
                i++;
                while (true) {
                    if (i >= s.length()) {
                        throw error(start, "unterminated " + (c == '\'' ? "string" : "quoted column name") + " starting");
                    }
                    char d = s.charAt(i);
                    if (d == c) {
                        if (i + 1 < s.length() && s.charAt(i + 1) == c) {
                            value.append(c);
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    value.append(d);
                    i++;
                }
                if (c == '"' && value.isEmpty()) {
                    throw error(start, "empty quoted column name");
                }
                out.add(new Token(c == '\'' ? Type.STRING : Type.QUOTED, value.toString(), start));
            } else if (Character.isDigit(c) || c == '.') {
                int start = i;
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                if (i < s.length() && s.charAt(i) == '.') {
                    i++;
                    while (i < s.length() && Character.isDigit(s.charAt(i))) {
                        i++;
                    }
                }
                if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                    int mark = i;
                    i++;
                    if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                        i++;
                    }
                    if (i >= s.length() || !Character.isDigit(s.charAt(i))) {
                        throw error(mark, "malformed number exponent");
                    }
                    while (i < s.length() && Character.isDigit(s.charAt(i))) {
                        i++;
                    }
                }
                if (i < s.length() && (Character.isLetter(s.charAt(i)) || s.charAt(i) == '_')) {
                    throw error(start, "malformed number '" + s.substring(start, i + 1) + "'");
                }
                String number = s.substring(start, i);
                try {
                    number(number);
                } catch (DefinitionException e) {
                    throw error(start, e.getMessage());
                }
                out.add(new Token(Type.NUMBER, number, start));
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                    i++;
                }
                out.add(new Token(Type.WORD, s.substring(start, i), start));
            } else {
                throw error(i, "unexpected character '" + new String(Character.toChars(s.codePointAt(i))) + "'");
            }
        }
        out.add(new Token(Type.END, "", s.length()));
        return out;
    }
}
