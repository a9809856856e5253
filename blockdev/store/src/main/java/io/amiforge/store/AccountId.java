package io.amiforge.store;

/**
 * The account a store operation acts for: 12 decimal digits, as an AWS account id. Every volume
 * and snapshot has one owner account; {@link SnapshotStore#as} gives the view an account sees.
 * {@link #DEFAULT} owns everything a store held before owners were recorded, and what the
 * trusted raw {@link SnapshotStore} API creates.
 */
public record AccountId(String value) {

    /** The account of stores written before ownership existed, and of the CLI without --account. */
    public static final AccountId DEFAULT = new AccountId("111122223333");

    /** Fails with {@code InvalidParameterValue} unless {@code value} is 12 decimal digits. */
    public AccountId {
        if (!isValid(value)) {
            throw StoreException.invalid("account '" + value + "' is not 12 digits");
        }
    }

    /** The account named {@code value} (12 digits). */
    public static AccountId of(String value) {
        return new AccountId(value);
    }

    /** True if {@code value} is 12 decimal digits. */
    public static boolean isValid(String value) {
        return value != null && value.length() == 12 && value.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    @Override
    public String toString() {
        return value;
    }
}
